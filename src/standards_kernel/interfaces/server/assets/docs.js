// Renders /openapi.json into a readable page with a small "try it" form per operation.
// Everything is built with DOM calls and textContent: no HTML from the document is injected.
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

const refName = (schema) => (schema && schema.$ref ? schema.$ref.split("/").pop() : null);

function describeSchema(schema) {
  if (!schema) return "";
  const name = refName(schema);
  if (name) return name;
  if (schema.type === "array") return "array of " + describeSchema(schema.items);
  if (schema.oneOf) return schema.oneOf.map(describeSchema).join(" | ");
  if (schema.anyOf) return schema.anyOf.map(describeSchema).join(" | ");
  return schema.type ? [].concat(schema.type).join(" | ") : "JSON";
}

function schemaLink(schema) {
  const text = describeSchema(schema);
  const name = refName(schema) || refName(schema && schema.items);
  return name ? el("a", { href: "#schema-" + name }, text) : el("code", {}, text);
}

function parametersTable(parameters) {
  if (!parameters || !parameters.length) return null;
  const rows = parameters.map((p) => el("tr", {},
    el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, p.required ? "required" : "optional"),
    el("td", {}, describeSchema(p.schema)), el("td", {}, p.description || "")));
  return el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, ""),
    el("th", {}, "type"), el("th", {}, "meaning")), ...rows);
}

function responsesTable(responses) {
  const rows = Object.entries(responses || {}).map(([status, r]) => {
    const types = Object.entries(r.content || {}).map(([media, c]) => el("div", {}, el("code", {}, media), " ", schemaLink(c.schema)));
    return el("tr", {}, el("td", {}, status), el("td", {}, r.description || ""), el("td", {}, ...types));
  });
  return el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning"), el("th", {}, "body")), ...rows);
}

function tryForm(method, path, op) {
  const inputs = {};
  const form = el("div", { class: "try" }, el("h4", {}, "Try it"));
  for (const p of op.parameters || []) {
    if (p.in !== "path" && p.in !== "query") continue;
    inputs[p.name] = el("input", { placeholder: p.name + (p.in === "path" ? " (path)" : " (query)") });
    form.append(el("div", {}, inputs[p.name]));
  }
  let body = null;
  let contentType = "application/json";
  if (op.requestBody) {
    const media = Object.keys(op.requestBody.content || {});
    contentType = media[0] || contentType;
    body = el("textarea", { placeholder: "request body (" + media.join(" or ") + ")" });
    form.append(body);
  }
  const output = el("pre", {}, "");
  const button = el("button", { type: "button" }, "Send");
  button.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const p of op.parameters || []) {
      const value = inputs[p.name] ? inputs[p.name].value : "";
      if (!value) continue;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(value));
      else query.append(p.name, value);
    }
    if ([...query].length) url += "?" + query.toString();
    const init = { method };
    if (body) {
      const text = body.value.trim();
      init.body = text;
      init.headers = { "Content-Type": text.startsWith("[") || !text.includes("\n{") ? "application/json" : "application/x-ndjson" };
    }
    output.textContent = "…";
    try {
      const response = await fetch(url, init);
      const headers = [...response.headers].map(([k, v]) => k + ": " + v).join("\n");
      output.textContent = response.status + " " + response.statusText + "\n" + headers + "\n\n" + await response.text();
    } catch (error) {
      output.textContent = String(error);
    }
  });
  form.append(button, output);
  return form;
}

function operation(method, path, op) {
  const head = el("summary", {}, el("span", { class: "method " + method }, method), el("span", { class: "path" }, path),
    el("span", { class: "summary" }, op.summary || ""));
  const bodyParts = [];
  if (op.description) bodyParts.push(el("p", { class: "description" }, op.description));
  const params = parametersTable(op.parameters);
  if (params) bodyParts.push(el("h4", {}, "Parameters"), params);
  if (op.requestBody) {
    bodyParts.push(el("h4", {}, "Request body"), el("p", {}, op.requestBody.description || ""),
      ...Object.entries(op.requestBody.content || {}).map(([media, c]) => el("div", {}, el("code", {}, media), " ", schemaLink(c.schema))));
  }
  bodyParts.push(el("h4", {}, "Responses"), responsesTable(op.responses), tryForm(method, path, op));
  return el("details", { class: "op", id: op.operationId || method + path }, head, el("div", { class: "op-body" }, ...bodyParts));
}

async function main() {
  const response = await fetch("/openapi.json");
  const doc = await response.json();
  document.getElementById("title").textContent = doc.info.title;
  document.title = doc.info.title;
  document.getElementById("version").textContent = "version " + doc.info.version + " · OpenAPI " + doc.openapi;
  const main = document.getElementById("main");
  const toc = document.getElementById("toc");
  main.replaceChildren(el("p", { class: "description" }, doc.info.description || ""));
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(method.toUpperCase(), path, op));
    }
  }
  const tagInfo = new Map((doc.tags || []).map((t) => [t.name, t.description]));
  for (const [tag, ops] of byTag) {
    toc.append(el("a", { href: "#tag-" + tag }, tag));
    main.append(el("h2", { id: "tag-" + tag }, tag), el("p", {}, tagInfo.get(tag) || ""), ...ops);
  }
  toc.append(el("a", { href: "#schemas" }, "schemas"));
  main.append(el("h2", { id: "schemas" }, "Schemas"));
  for (const [name, schema] of Object.entries((doc.components && doc.components.schemas) || {})) {
    main.append(el("details", { class: "op", id: "schema-" + name },
      el("summary", {}, el("span", { class: "path" }, name), el("span", { class: "summary" }, schema.description ? schema.description.split("\n")[0] : "")),
      el("div", { class: "op-body" }, el("pre", {}, JSON.stringify(schema, null, 2)))));
  }
}

main().catch((error) => {
  document.getElementById("main").textContent = "Could not load /openapi.json: " + error;
});
