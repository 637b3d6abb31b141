// The page half of wsnb.browser.BrowserWebSocket: a real WebSocket in the
// notebook page, driven by the kernel through the widget's custom messages.
//
// The kernel sends commands: {op: "open" | "send" | "close" | "binaryType", id, ...}.
// The page answers each with {kind: "reply", id, state, error}, and reports
// every event of the socket as {kind: "event", type, state, ...}; binary data
// travels as widget buffers both ways. "state" is a snapshot of the socket's
// attributes taken when the event fired or the call returned, so the kernel
// sees readyState and bufferedAmount as a handler in the page would.
// Messages leave the page in the order things happened: a Blob's bytes are
// read asynchronously, so every message goes through one promise chain.

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
const pages = new WeakMap(); // model -> the socket's page state

function snapshot(ws) {
  if (!ws) return { readyState: 0, bufferedAmount: 0, protocol: "", extensions: "", binaryType: "blob", url: "" };
  return {
    readyState: ws.readyState,
    bufferedAmount: ws.bufferedAmount,
    protocol: ws.protocol,
    extensions: ws.extensions,
    binaryType: ws.binaryType,
    url: ws.url,
  };
}

function jupyterBaseUrl() {
  const element = document.getElementById("jupyter-config-data");
  const config = element ? JSON.parse(element.textContent) : {};
  const base = config.baseUrl || "/";
  return base.endsWith("/") ? base : base + "/";
}

// The URL the page connects to: the kernel's URL, or, for a lab server on
// the kernel's loopback that the page cannot reach directly (a page served
// by a remote JupyterHub, or an https page), the same path through
// jupyter-server-proxy on the page's own host.
export function pageUrl(url, route) {
  let target;
  try {
    target = new URL(url);
  } catch (error) {
    return url; // let the WebSocket constructor throw its own SyntaxError
  }
  const pageIsLocal = location.protocol === "http:" && LOOPBACK.has(location.hostname);
  const proxy = route === "proxy" || (route === "auto" && LOOPBACK.has(target.hostname) && !pageIsLocal);
  if (!proxy) return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${jupyterBaseUrl()}proxy/${target.port}${target.pathname}${target.search}`;
}

function describe(error) {
  return { name: error && error.name ? error.name : "Error", message: error && error.message ? error.message : String(error) };
}

function initialize({ model }) {
  const page = { ws: null, chain: Promise.resolve(), counts: { sent: 0, received: 0 }, last: "", views: new Set() };
  pages.set(model, page);

  // One failure (a Blob that cannot be read) must not stop the messages after it.
  const post = (message) => {
    page.chain = page.chain
      .then(() => message)
      .then((ready) => model.send(ready.content, undefined, ready.buffers || []))
      .catch((error) => console.error("wsnb: a message to the kernel was lost:", error))
      .then(() => { for (const update of page.views) update(); });
  };
  const now = (content, buffers) => post(Promise.resolve({ content, buffers }));

  const listen = (ws) => {
    ws.addEventListener("open", () => { page.last = "open"; now({ kind: "event", type: "open", state: snapshot(ws) }); });
    ws.addEventListener("error", () => { page.last = "error"; now({ kind: "event", type: "error", state: snapshot(ws) }); });
    ws.addEventListener("close", (event) => {
      page.last = `close ${event.code}`;
      now({ kind: "event", type: "close", state: snapshot(ws), code: event.code, reason: event.reason, wasClean: event.wasClean });
    });
    ws.addEventListener("message", (event) => {
      page.counts.received += 1;
      const state = snapshot(ws);
      const base = { kind: "event", type: "message", state, origin: event.origin };
      if (typeof event.data === "string") {
        now({ ...base, text: event.data });
      } else if (event.data instanceof ArrayBuffer) {
        now({ ...base, binary: "arraybuffer" }, [event.data]);
      } else {
        const blob = event.data;
        post(blob.arrayBuffer().then((bytes) => ({ content: { ...base, binary: "blob", mime: blob.type }, buffers: [bytes] })));
      }
    });
  };

  const commands = {
    open(msg) {
      page.ws = msg.protocols === null ? new WebSocket(pageUrl(msg.url, msg.route))
        : new WebSocket(pageUrl(msg.url, msg.route), msg.protocols);
      listen(page.ws);
    },
    send(msg, buffers) {
      let data;
      if (msg.text !== undefined) data = msg.text;
      else if (msg.blob) data = new Blob([buffers[0]], { type: msg.mime });
      else data = buffers[0];
      page.ws.send(data);
      page.counts.sent += 1;
    },
    close(msg) {
      if (msg.reason !== null) page.ws.close(msg.code === null ? undefined : msg.code, msg.reason);
      else if (msg.code !== null) page.ws.close(msg.code);
      else page.ws.close();
    },
    binaryType(msg) {
      page.ws.binaryType = msg.value;
    },
  };

  const onMessage = (msg, buffers) => {
    const command = commands[msg.op];
    let error = null;
    try {
      if (!command) throw new TypeError(`unknown command ${msg.op}`);
      if (msg.op !== "open" && !page.ws) throw new TypeError("the socket was not created");
      command(msg, buffers);
    } catch (exception) {
      error = describe(exception);
    }
    now({ kind: "reply", id: msg.id, state: snapshot(page.ws), error });
  };
  model.on("msg:custom", onMessage);
  now({ kind: "page", origin: location.origin, href: location.href, userAgent: navigator.userAgent });

  return () => {
    model.off("msg:custom", onMessage);
    if (page.ws && page.ws.readyState < 2) page.ws.close();
  };
}

function render({ model, el }) {
  const page = pages.get(model);
  const box = document.createElement("div");
  box.className = "wsnb-browser-socket";
  box.style.cssText = "font-family: var(--jp-code-font-family, monospace); font-size: 12px; padding: 2px 0";
  const badge = document.createElement("span");
  badge.style.cssText = "display: inline-block; padding: 1px 6px; margin-right: 8px; border-radius: 3px; color: white";
  const text = document.createElement("span");
  box.append(badge, text);
  el.append(box);
  const colors = ["#b58900", "#2e7d32", "#ef6c00", "#616161"];
  const update = () => {
    const state = snapshot(page && page.ws);
    badge.textContent = `browser ${STATES[state.readyState]}`;
    badge.style.background = colors[state.readyState];
    const counts = page ? page.counts : { sent: 0, received: 0 };
    text.textContent = `${state.url || "(no socket)"} · sent ${counts.sent} · received ${counts.received}`
      + (page && page.last ? ` · last event: ${page.last}` : "");
  };
  update();
  if (page) page.views.add(update);
  return () => { if (page) page.views.delete(update); };
}

export default { initialize, render };
