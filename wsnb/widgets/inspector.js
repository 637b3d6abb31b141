// The message inspector's page half (anywidget): click a row of the message
// log to inspect it; a JSON message shows as a collapsible tree or
// pretty-printed; a number in the tree has a "plot" button that asks the
// kernel for a live plot of that field.

function panelOf(node) {
  return node.closest(".wsnb-panel");
}

function leaf(value) {
  const span = document.createElement("span");
  span.className = "wsnb-json-" + (value === null ? "null" : typeof value);
  span.textContent = JSON.stringify(value);
  return span;
}

// Build the tree of `value`; numbers reachable through objects only (the
// dotted paths json_values reads) get a plot button.
function tree(value, path, depth, onPlot) {
  if (value === null || typeof value !== "object") {
    const wrap = document.createElement("span");
    wrap.appendChild(leaf(value));
    if (typeof value === "number" && path !== null && path !== "") {
      const button = document.createElement("button");
      button.className = "wsnb-plot-field";
      button.dataset.path = path;
      button.title = "live plot of " + path;
      button.textContent = "plot";
      button.addEventListener("click", (event) => {
        event.stopPropagation();
        onPlot(path);
      });
      wrap.appendChild(document.createTextNode(" "));
      wrap.appendChild(button);
    }
    return wrap;
  }
  const isArray = Array.isArray(value);
  const keys = isArray ? value.map((_, i) => i) : Object.keys(value);
  const details = document.createElement("details");
  details.className = "wsnb-json-node";
  details.open = depth < 3;
  const summary = document.createElement("summary");
  summary.textContent = isArray ? `[ ${keys.length} items ]` : `{ ${keys.length} keys }`;
  details.appendChild(summary);
  const list = document.createElement("ul");
  list.style.cssText = "margin:0;padding-left:1.4em;list-style:none";
  for (const key of keys) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "wsnb-json-key";
    name.textContent = isArray ? `${key}: ` : `${JSON.stringify(key)}: `;
    item.appendChild(name);
    // Paths go through objects only: an array element is not a series.
    const childPath = isArray || path === null ? null : (path === "" ? key : path + "." + key);
    item.appendChild(tree(value[key], childPath, depth + 1, onPlot));
    list.appendChild(item);
  }
  details.appendChild(list);
  return details;
}

function render({ model, el }) {
  el.classList.add("wsnb-inspector");
  const head = document.createElement("div");
  head.className = "wsnb-inspector-head";
  head.style.cssText = "font-size:85%;color:#57606a";
  const body = document.createElement("div");
  body.className = "wsnb-inspector-body";
  body.style.cssText = "font-family:monospace;font-size:12px;max-height:260px;overflow:auto";
  el.append(head, body);

  const onPlot = (path) => model.send({ plot: path });

  // Rows live in the message log's HTML, which the kernel redraws: listen
  // on the document and keep clicks on this panel's log.
  const onClick = (event) => {
    const row = event.target.closest && event.target.closest(".wsnb-log-table tr[data-seq]");
    if (!row) return;
    const mine = panelOf(el);
    if (mine === null || panelOf(row) !== mine) return;
    model.set("selected", Number(row.dataset.seq));
    model.save_changes();
  };
  document.addEventListener("click", onClick);

  const draw = () => {
    const seq = model.get("selected");
    const kind = model.get("kind");
    const text = model.get("text");
    const error = model.get("error");
    head.textContent = seq < 0
      ? "Click a row of the log to inspect it."
      : `Row #${seq} · ${kind}${model.get("truncated") ? " · only its start is kept" : ""}${error ? " · " + error : ""}`;
    body.replaceChildren();
    if (seq < 0) return;
    let value;
    let parsed = false;
    if (kind === "json" && model.get("view") !== "raw") {
      try {
        value = JSON.parse(text);
        parsed = true;
      } catch (error) {
        head.textContent += " · the page cannot parse it: " + error.message;
      }
    }
    if (parsed) {
      if (model.get("view") === "pretty") {
        const pre = document.createElement("pre");
        pre.className = "wsnb-json-pretty";
        pre.style.margin = "0";
        pre.textContent = JSON.stringify(value, null, 2);
        body.appendChild(pre);
      } else {
        const root = tree(value, "", 0, onPlot);
        root.classList.add("wsnb-json-tree");
        body.appendChild(root);
      }
    } else {
      const pre = document.createElement("pre");
      pre.className = "wsnb-inspector-raw";
      pre.style.cssText = "margin:0;white-space:pre-wrap;word-break:break-all";
      pre.textContent = text;
      body.appendChild(pre);
    }
  };
  model.on("change:selected", draw);
  model.on("change:text", draw);
  model.on("change:kind", draw);
  model.on("change:view", draw);
  model.on("change:error", draw);
  draw();
  return () => document.removeEventListener("click", onClick);
}

export default { render };
