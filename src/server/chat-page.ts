/**
 * The web chat page served at `/`: one self-contained HTML file (no framework, no CDN, works offline). It
 * talks to this server's /v1/chat/completions with streaming, keeps the conversation in the page, and shows
 * reasoning (`reasoning_content`) and tool calls apart from the answer. The API key, if the server needs
 * one, is typed into the page and kept in sessionStorage only. Elements carry data-testid for the browser test.
 */
export const CHAT_PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gemma4 chat</title>
<style>
  :root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fafafa; --muted: #6e6e73; --line: #d2d2d7; --accent: #2a62d9;
          --user: #e8effd; --bot: #ffffff; --think: #f4f1e8; --tool: #eef6ee; --err: #b3261e; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e8e8ed; --bg: #161618; --muted: #98989d; --line: #3a3a3c; --accent: #6e9bff;
          --user: #1f2a44; --bot: #1f1f22; --think: #2c2920; --tool: #1e2b1f; --err: #ff8a80; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); display: flex; flex-direction: column; height: 100vh; }
  header { display: flex; gap: .75rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
  header h1 { font-size: 1rem; margin: 0; }
  header .model { color: var(--muted); }
  header label { color: var(--muted); font-size: .85rem; display: flex; gap: .35rem; align-items: center; }
  header input[type=number] { width: 5rem; }
  details.settings { padding: .25rem 1rem; border-bottom: 1px solid var(--line); }
  details.settings textarea { width: 100%; min-height: 3.5rem; }
  main { flex: 1; overflow-y: auto; padding: 1rem; display: flex; flex-direction: column; gap: .75rem; }
  .msg { max-width: 52rem; padding: .6rem .8rem; border-radius: .6rem; border: 1px solid var(--line); white-space: pre-wrap; word-wrap: break-word; }
  .msg.user { background: var(--user); align-self: flex-end; }
  .msg.assistant { background: var(--bot); align-self: flex-start; }
  .msg .reasoning { background: var(--think); color: var(--muted); font-style: italic; border-left: 3px solid #c9a227; padding: .3rem .5rem; margin-bottom: .4rem; }
  .msg .reasoning::before { content: "thinking"; display: block; font-style: normal; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; }
  .msg .tool-call { background: var(--tool); border-left: 3px solid #3f8f4f; font-family: ui-monospace, monospace; font-size: .85rem; padding: .3rem .5rem; margin: .3rem 0; }
  .msg .tool-call::before { content: "tool call"; display: block; font-family: system-ui, sans-serif; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
  .msg .meta { color: var(--muted); font-size: .75rem; margin-top: .3rem; }
  .msg .error { color: var(--err); }
  .empty:empty { display: none; }
  form { display: flex; gap: .5rem; padding: .75rem 1rem; border-top: 1px solid var(--line); }
  form textarea { flex: 1; resize: vertical; min-height: 2.6rem; font: inherit; padding: .4rem; }
  button { font: inherit; padding: .4rem 1rem; border-radius: .4rem; border: 1px solid var(--line); background: var(--accent); color: #fff; cursor: pointer; }
  button[disabled] { opacity: .45; cursor: default; }
  button.stop { background: var(--err); }
  button.secondary { background: transparent; color: var(--fg); }
</style>
</head>
<body>
<header>
  <h1>gemma4</h1><span class="model" id="model" data-testid="model">…</span>
  <label>temperature <input id="temperature" type="number" min="0" max="2" step="0.1" value="0.8"></label>
  <label>max tokens <input id="max-tokens" type="number" min="1" step="1" value="256"></label>
  <label><input id="thinking" type="checkbox"> thinking</label>
  <label>API key <input id="api-key" type="password" autocomplete="off" size="14" data-testid="api-key"></label>
  <button type="button" class="secondary" id="clear">new chat</button>
</header>
<details class="settings"><summary>system prompt</summary>
  <textarea id="system" data-testid="system" placeholder="You are a helpful assistant."></textarea>
</details>
<main id="log" data-testid="log" aria-live="polite"></main>
<form id="form">
  <textarea id="input" data-testid="input" placeholder="Message (Enter sends, Shift+Enter for a new line)" required></textarea>
  <button type="submit" id="send" data-testid="send">Send</button>
  <button type="button" id="stop" class="stop" data-testid="stop" disabled>Stop</button>
</form>
<script>
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var history = [];
  var controller = null;
  var modelId = null;
  var keyBox = $("api-key");
  keyBox.value = sessionStorage.getItem("gemma4-api-key") || "";
  keyBox.addEventListener("change", function () { sessionStorage.setItem("gemma4-api-key", keyBox.value); loadModel(); });

  function headers() {
    var h = { "content-type": "application/json" };
    if (keyBox.value) h.authorization = "Bearer " + keyBox.value;
    return h;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function scroll() { var log = $("log"); log.scrollTop = log.scrollHeight; }
  function loadModel() {
    fetch("/v1/models", { headers: headers() }).then(function (r) { return r.json(); }).then(function (j) {
      if (j.data && j.data[0]) { modelId = j.data[0].id; $("model").textContent = modelId; }
      else $("model").textContent = (j.error && j.error.message) || "no model";
    }).catch(function (e) { $("model").textContent = String(e); });
  }
  function setBusy(busy) { $("send").disabled = busy; $("stop").disabled = !busy; }

  function addUser(text) {
    var m = el("div", "msg user", text);
    m.setAttribute("data-testid", "user-message");
    $("log").appendChild(m);
    scroll();
  }
  function addAssistant() {
    var m = el("div", "msg assistant");
    m.setAttribute("data-testid", "assistant-message");
    var reasoning = el("div", "reasoning empty"); reasoning.setAttribute("data-testid", "reasoning");
    var tools = el("div", "empty"); tools.setAttribute("data-testid", "tool-calls");
    var content = el("div", "content"); content.setAttribute("data-testid", "content");
    var meta = el("div", "meta"); meta.setAttribute("data-testid", "meta");
    m.appendChild(reasoning); m.appendChild(tools); m.appendChild(content); m.appendChild(meta);
    $("log").appendChild(m);
    return { reasoning: reasoning, tools: tools, content: content, meta: meta };
  }

  function send(text) {
    history.push({ role: "user", content: text });
    addUser(text);
    var view = addAssistant();
    var messages = [];
    var system = $("system").value.trim();
    if (system) messages.push({ role: "system", content: system });
    messages = messages.concat(history);
    var body = {
      model: modelId || "",
      messages: messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: Number($("temperature").value),
      max_tokens: Number($("max-tokens").value),
      chat_template_kwargs: { enable_thinking: $("thinking").checked }
    };
    var answer = "";
    var calls = {};
    var finish = null;
    var usage = null;
    controller = new AbortController();
    setBusy(true);
    var started = performance.now();
    fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(body), signal: controller.signal })
      .then(function (res) {
        if (!res.ok) return res.json().then(function (j) { throw new Error((j.error && j.error.message) || res.statusText); });
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) return;
            buffer += decoder.decode(r.value, { stream: true });
            var events = buffer.split("\n\n");
            buffer = events.pop();
            events.forEach(function (ev) {
              ev.split("\n").forEach(function (line) {
                if (line.indexOf("data: ") !== 0) return;
                var data = line.slice(6);
                if (data === "[DONE]") return;
                var chunk = JSON.parse(data);
                if (chunk.error) throw new Error(chunk.error.message);
                if (chunk.usage) usage = chunk.usage;
                (chunk.choices || []).forEach(function (c) {
                  var d = c.delta || {};
                  if (d.reasoning_content) { view.reasoning.textContent += d.reasoning_content; }
                  if (d.content) { answer += d.content; view.content.textContent += d.content; }
                  (d.tool_calls || []).forEach(function (tc) {
                    var call = calls[tc.index] || (calls[tc.index] = { id: tc.id, type: "function", function: { name: "", arguments: "" }, box: null });
                    if (tc.id) call.id = tc.id;
                    if (tc.function && tc.function.name) call.function.name += tc.function.name;
                    if (tc.function && tc.function.arguments) call.function.arguments += tc.function.arguments;
                    if (!call.box) { call.box = el("div", "tool-call"); call.box.setAttribute("data-testid", "tool-call"); view.tools.appendChild(call.box); }
                    call.box.textContent = call.function.name + "(" + call.function.arguments + ")";
                  });
                  if (c.finish_reason) finish = c.finish_reason;
                });
              });
            });
            scroll();
            return pump();
          });
        }
        return pump();
      })
      .then(function () {
        var toolCalls = Object.keys(calls).map(function (k) { var c = calls[k]; return { id: c.id, type: "function", function: c.function }; });
        var msg = { role: "assistant", content: answer };
        if (toolCalls.length) msg.tool_calls = toolCalls;
        history.push(msg);
        var secs = (performance.now() - started) / 1000;
        view.meta.textContent = (finish || "done") + (usage ? " · " + usage.completion_tokens + " tokens in " + secs.toFixed(1) + " s" : "");
      })
      .catch(function (e) {
        if (e.name === "AbortError") {
          history.push({ role: "assistant", content: answer });
          view.meta.textContent = "stopped";
        } else {
          history.pop();
          view.meta.appendChild(el("span", "error", String(e.message || e)));
        }
      })
      .then(function () { controller = null; setBusy(false); scroll(); });
  }

  $("form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("input").value.trim();
    if (!text || controller) return;
    $("input").value = "";
    send(text);
  });
  $("input").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
  });
  $("stop").addEventListener("click", function () { if (controller) controller.abort(); });
  $("clear").addEventListener("click", function () { if (controller) controller.abort(); history = []; $("log").textContent = ""; });
  loadModel();
})();
</script>
</body>
</html>
`;
