"""Tests of wsnb.servers, one file per module."""
