// The Node side of constructs_lib/_native.py: loaded into the jsii kernel as the assembly
// "dagster-cdk8s-synth" (see that module's docstring for why, and for the guards).
"use strict";
const path = require("path");
const cdk8s = require("cdk8s");

const RTTI = Symbol.for("jsii.rtti");
const NAME = "dagster-cdk8s-synth";
const VERSION = "0.1.0";
//: The `yaml` package this emitter reproduces (the one cdk8s bundles); any other: no fast path.
const YAML_VERSION = "2.9.1";
//: The cdk8s whose Yaml.stringify options (YAML 1.1, lineWidth 0) this emitter was checked against
//: (tests/test_native.py runs the probe on it); with another, the probe runs before the fast path
//: is installed (a few tens of milliseconds).
const CDK8S_VERSION = "2.70.115";

// Documents a RenderedChart returned to cdk8s: only these take the fast YAML path.
const ours = new WeakSet();
// How the jsii kernel tags each object it knows (created by Python or handed to it): its reference.
const OBJID = Symbol.for("$__jsii__objid__$");

/** The chart's ApiObjects in cdk8s's order (what its Chart.toJson renders), or null when a chart is
 * nested inside (then cdk8s decides which object is whose). */
function apiObjectsInOrder(chart) {
  const out = [];
  for (const c of new cdk8s.DependencyGraph(chart.node).topology()) {
    if (c === chart) {
      continue;
    }
    if (cdk8s.Chart.isChart(c)) {
      return null;
    }
    if (cdk8s.ApiObject.isApiObject(c)) {
      out.push(c);
    }
  }
  return out;
}

class RenderedChart extends cdk8s.Chart {
  /** The documents of the objects whose kernel references `order` lists (space-separated; "" for an
   * object the kernel never handed to Python) as one JSON list, 0 where Node renders the object
   * itself; or "" for cdk8s's own Chart.toJson (Python overrides it). */
  renderJson(_order) {
    return "";
  }

  /** Called after cdk8s's own Chart.toJson rendered the chart (Python overrides it). */
  cdk8sRendered() {}

  toJson() {
    const order = apiObjectsInOrder(this);
    const text = order === null ? "" : this.renderJson(order.map((o) => o[OBJID] || "").join(" "));
    if (!text) {
      const objects = super.toJson();
      this.cdk8sRendered();
      return objects;
    }
    const docs = JSON.parse(text);
    if (!Array.isArray(docs) || docs.length !== order.length) {
      throw new Error(`${NAME}: renderJson answered ${docs.length} documents for ${order.length} objects`);
    }
    for (let i = 0; i < docs.length; i++) {
      if (docs[i] === 0) {
        docs[i] = order[i].toJson(); // not rendered in Python: the object renders itself
      }
      if (docs[i] !== null && typeof docs[i] === "object") {
        ours.add(docs[i]);
      }
    }
    return docs;
  }
}
RenderedChart[RTTI] = { fqn: `${NAME}.RenderedChart`, version: VERSION };

// --- YAML exactly as cdk8s's Yaml.stringify writes it (yaml 2.9.1, YAML 1.1, lineWidth 0) -------
// For JSON data (maps, lists, strings, numbers, booleans, null), block style. Anything this does
// not reproduce with certainty (control characters, multi-line keys, multi-line strings with
// leading blanks or several trailing newlines, non-integers, very long keys) makes `emit`
// return null: that document is written by the `yaml` package itself.

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u; // yaml: double-quoted
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

class Unsure extends Error {}

function makeEmitter(YAML) {
  const schema = new YAML.Document(null, { version: "1.1" }).schema;
  // yaml's plainString: a plain scalar another (default) tag would read as not a string is quoted.
  const tags = [...schema.tags, ...(schema.compat || [])].filter(
    (t) => t.default && t.tag !== "tag:yaml.org,2002:str" && t.test);
  const readsAsOther = (s) => tags.some((t) => t.test.test(s));

  // yaml's quotedString for a single-line string: single quotes when it holds " and not ',
  // else double quotes (JSON's escapes are yaml's for what is left: no control characters).
  function quoted(s) {
    return s.includes('"') && !s.includes("'") ? `'${s}'` : JSON.stringify(s);
  }

  // yaml's blockString (literal: lineWidth 0 folds nothing) for a value at this indent, for the
  // usual shapes: no leading blank or space, at most one newline at the end (clip or strip).
  function block(s, indent) {
    const body = s.replace(/[\n\t ]+$/, "");
    const end = s.slice(body.length);
    const nl = end.indexOf("\n");
    if (!body || /^[\n ]/.test(s) || /\n[\t ]+$/.test(s) || (nl !== -1 && nl !== end.length - 1)) {
      throw new Unsure();
    }
    const chomp = nl === -1 ? "-" : "";
    return `|${chomp}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}${end.replace("\n", "")}`;
  }

  // What a single-line string (a key or a value) is written as: the same strings recur in every
  // document (keys, names, images), so each is worked out once (the cache is bounded).
  const written = new Map();

  function string(s, indent) {
    if (s.includes("\n")) {
      if (indent === null || CONTROL.test(s)) {
        throw new Unsure(); // a multi-line key, or a control character (double quotes)
      }
      return block(s, indent);
    }
    if (indent === null && s.length > 1000) {
      throw new Unsure(); // yaml writes a key this long as an explicit key ("? ...")
    }
    let out = written.get(s);
    if (out === undefined) {
      if (CONTROL.test(s) || DOCUMENT_MARKER.test(s) || s === "<<") {
        out = null; // "<<": yaml writes its merge key
      } else {
        out = NOT_PLAIN.test(s) || readsAsOther(s) ? quoted(s) : s;
      }
      if (written.size >= 50000) {
        written.clear();
      }
      written.set(s, out);
    }
    if (out === null) {
      throw new Unsure();
    }
    return out;
  }

  function scalar(v, indent) {
    switch (typeof v) {
      case "string":
        return string(v, indent);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
          throw new Unsure();
        }
        return String(v);
      default:
        if (v === null) {
          return "null";
        }
        throw new Unsure();
    }
  }

  function isEmpty(v) {
    return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
  }

  function node(v, indent) {
    if (v === null || typeof v !== "object") {
      return scalar(v, indent);
    }
    if (isEmpty(v)) {
      return Array.isArray(v) ? "[]" : "{}";
    }
    return Array.isArray(v) ? seq(v, indent) : map(v, indent);
  }

  function seq(items, indent) {
    const inner = indent + "  ";
    let out = "";
    for (let i = 0; i < items.length; i++) {
      out += (i ? "\n" + indent : "") + "- " + node(items[i], inner);
    }
    return out;
  }

  function map(obj, indent) {
    if (Object.getPrototypeOf(obj) !== Object.prototype) {
      throw new Unsure();
    }
    const inner = indent + "  ";
    let out = "";
    let first = true;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      let line = string(key, null) + ":";
      if (v !== null && typeof v === "object" && !isEmpty(v)) {
        line += "\n" + inner + (Array.isArray(v) ? seq(v, inner) : map(v, inner));
      } else {
        line += " " + node(v, inner);
      }
      out += (first ? "" : "\n" + indent) + line;
      first = false;
    }
    return out;
  }

  /** One document as yaml writes it, or null when unsure. */
  return function emit(doc) {
    if (doc === null || typeof doc !== "object") {
      return null;
    }
    try {
      return node(doc, "") + "\n";
    } catch (e) {
      if (e instanceof Unsure) {
        return null;
      }
      throw e;
    }
  };
}

// What the emitter is checked against when it is installed: strings of every kind (as values,
// as keys and in lists: the YAML 1.1 schema reads many plain ones as something else), every
// kind of value, and nesting.
const PROBE_STRINGS = [
  "yes", "on", "1.0", "", "~", "2001-01-01", "0x1F", "<<", "a: b", "http://x:80/y", "-", "- a", "#x",
  "a #b", "null", "1_000", "190:20:30", ".inf", "\u00e9t\u00e9", "x y", "Y", "NO", "0o17", "012", "-1",
  "+1", "1e3", ".5", "?", "? x", "x:", ":x", "[x]", "{x}", "*x", "&x", "!x", "|", ">", "@x", "`x",
  "%x", "x,y", " x", "x ", "true", "False", "2001-12-14t21:59:43.10-05:00", "0b101", "1:20", "-.inf",
  ".NaN", "=", "~x", "null x", "0", "00", "0.", "a-b_c.d/e", '{"a":["b"]}', "it's", "'x'",
  "\"x\" 'y'", "a\tb", "a\\b", '"', "'", "a\nb", "a\nb\n", "a\n\n  b\n", "a  \nb",
  "a\tb\nc\n", "x: y\nz", "#!/bin/sh\nexec x\n", "- a\n- b", "---\nx", "a\n\n", "\nx",
  " x\ny", "x\n ", "\u2028", "x\u0085y",
];
// One document of every probe string as a value (in a map, a list, a nested list) and one of
// every probe string as a key, each made only of what the emitter writes (what it is unsure
// about is the yaml package's anyway), and the shapes of documents.
function probe(emit) {
  const sure = PROBE_STRINGS.filter((s) => emit({ [s]: s }) !== null);
  const values = {};
  sure.forEach((s, i) => (values[`v${i}`] = s));
  return [
    { values, list: [...sure], nested: [[...sure], [{ sure: [...sure] }]] }, // copies: no YAML aliases
    Object.fromEntries(sure.map((s, i) => [s, i])),
    {
      apiVersion: "v1", kind: "Probe",
      metadata: { name: "p", labels: { "app.kubernetes.io/name": "x", 80: "n", "a b": "c" } },
      spec: {
        n: 1, m: -5, z: 0, big: 9007199254740991, t: true, f: false, nul: null, e: {}, l: [],
        s: [[1, [2, []]], { a: [{}], b: { c: null } }, "x", null, [], {}],
        nested: [{ a: 1, b: [1, 2], c: { d: [{ e: "f" }] } }],
        lists: [["a\nb\n", "c\nd"], [{ script: "x\ny\n" }]],
      },
    },
    { only: null },
    {},
  ];
}

function installFastYaml() {
  let YAML;
  try {
    const cdk8sDir = path.dirname(require.resolve("cdk8s"));
    const resolved = require.resolve("yaml", { paths: [cdk8sDir] });
    YAML = require(resolved);
    const version = require(require.resolve("yaml/package.json", { paths: [cdk8sDir] })).version;
    if (version !== YAML_VERSION) {
      return `yaml ${version} (not ${YAML_VERSION})`;
    }
  } catch (e) {
    return `yaml not found: ${e.message}`;
  }
  const Yaml = cdk8s.Yaml;
  const original = Yaml && Yaml.stringify;
  if (typeof original !== "function") {
    return "cdk8s.Yaml.stringify not found";
  }
  const emit = makeEmitter(YAML);
  const one = (doc) => original.call(Yaml, doc); // exactly cdk8s's text of one document
  checker.emit = emit;
  checker.one = one;
  if ((Yaml[RTTI] || {}).version !== CDK8S_VERSION) {
    const why = runProbe();
    if (why) {
      return why;
    }
  }
  Yaml.stringify = function stringify(...docs) {
    if (!docs.some((d) => ours.has(d))) {
      return original.apply(this, docs);
    }
    return docs.map((d) => (d === undefined ? "\n" : (ours.has(d) && emit(d)) || one(d))).join("---\n");
  };
  Yaml.stringify.original = original;
  return "";
}

/** "" when the emitter writes the probe exactly as cdk8s's Yaml.stringify does, else the first difference. */
function runProbe() {
  for (const doc of probe(checker.emit)) {
    const fast = checker.emit(doc);
    if (fast === null || fast !== checker.one(doc)) {
      return `cdk8s.Yaml.stringify writes other YAML than this emitter for ${JSON.stringify(doc)}`;
    }
  }
  return "";
}

const checker = { emit: null, one: null };

class Native {
  /** "" when documents of a RenderedChart are written by the fast emitter, else why not. */
  static fastYaml() {
    return fastYaml;
  }

  /** For tests: "" when the emitter writes the probe exactly as cdk8s's Yaml.stringify does. */
  static probe() {
    if (!checker.emit) {
      throw new Error(`no fast YAML path: ${fastYaml}`);
    }
    return runProbe();
  }

  /** For tests: per document of the JSON list, "fast" (the emitter wrote exactly what yaml
   * writes), "yaml" (the emitter was unsure) or "DIFFERENT: <both texts>". */
  static compare(json) {
    if (!checker.emit) {
      throw new Error(`no fast YAML path: ${fastYaml}`);
    }
    return JSON.parse(json).map((doc) => {
      const fast = checker.emit(doc);
      if (fast === null) {
        return "yaml";
      }
      const expected = checker.one(doc);
      return fast === expected ? "fast" : `DIFFERENT:\n${fast}\n---- yaml:\n${expected}`;
    });
  }
}
Native[RTTI] = { fqn: `${NAME}.Native`, version: VERSION };

const fastYaml = installFastYaml();

module.exports = { RenderedChart, Native };
