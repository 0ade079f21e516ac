/**
 * Hostile requests to POST /api/onboarding, generated from tables of cases and sent to the REAL
 * registered function (Azurite ledger, simulator-backed configuration). Every hostile request
 * must get a 4xx `application/problem+json` that conforms to openapi.json and names the problem
 * (a pointer in `errors[]` or a pattern in `detail`), never a 5xx, and must enqueue nothing (the
 * handler sets no output binding). A few valid control requests must get 202, so the suite proves
 * it tells the two apart; their messages are sent to the real `onboarding-requests` queue, which
 * refuses what a queue cannot hold.
 */
import { QueueServiceClient } from "@azure/storage-queue";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { encodeQueueMessage } from "../../dev/host";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { ONBOARDING_QUEUE } from "../../shared/intake/queueMessage";
import {
  describeThrown,
  invokeHttp,
  loadHttpFunctions,
  OpenApiContract,
  useAppSettings,
  webhookHeaders,
  webhookSecret,
  type HttpResult,
} from "../support/httpFunctions";
import { tableEntry } from "../support/onboardingTables";

const registry = loadHttpFunctions();
const contract = OpenApiContract.load();

const SIM_TOKEN = "hostile-input-token";
const SECRET = webhookSecret("hostile-input-secret-0123456789");
const ROTATED_SECRET = webhookSecret("hostile-input-rotated-0123456789");
const FOREIGN_SECRET = webhookSecret("somebody-elses-secret-0123456789");
const LIMIT = 256 * 1024;

type Profile = "default" | "restricted" | "signed";

interface Expectation {
  status: number;
  /** Slug of the problem type (`urn:synapse-link-autopilot:problem:<slug>`). */
  type?: string;
  /** A pointer that must be among `errors[].pointer`. */
  pointer?: string;
  /** A pattern `detail` must match. */
  detail?: RegExp;
  /** A pattern the `detail` of the `errors[]` entry at `pointer` must match. */
  fieldDetail?: RegExp;
}

interface Sent {
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface Case {
  group: string;
  name: string;
  profile: Profile;
  /** Built when the case runs (signatures depend on the clock). */
  request: () => Sent;
  expect: Expectation;
}

// ---------------------------------------------------------------------------------------------
// Request builders

const JSON_TYPE = { "content-type": "application/json" };

/** A valid body touching every field (workspace omitted: one workspace is configured by default). */
function validBody(): Record<string, unknown> {
  return {
    linkConnection: "demo-link",
    tables: [
      tableEntry("dbo", "Orders", {
        distribution: "Hash",
        distributionColumn: "OrderId",
        structure: "ClusteredColumnstoreIndex",
      }),
    ],
    callbackUrl: "https://example.org/hooks/onboarding",
  };
}

type Path = (string | number)[];
const pointerOf = (path: Path) =>
  path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");

/** validBody() with `path` set to `value` (or removed, for `REMOVE`). */
const REMOVE = Symbol("remove");
function bodyWith(
  path: Path,
  value: unknown,
  base: Record<string, unknown> = validBody(),
): Record<string, unknown> {
  let node: Record<string | number, unknown> = base;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] ?? "";
  if (value === REMOVE) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return base;
}

const json = (body: unknown, headers: Record<string, string> = JSON_TYPE): Sent => ({
  headers,
  body: JSON.stringify(body),
});
const raw = (body: string | Buffer, headers: Record<string, string> = JSON_TYPE): Sent => ({ headers, body });

function signed(body: string, options: { id?: string; timestamp?: number; secret?: string } = {}): Sent {
  return { headers: { ...JSON_TYPE, ...webhookHeaders(options.secret ?? SECRET, body, options) }, body };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const tables = (n: number) => Array.from({ length: n }, (_, i) => ({ schema: "dbo", name: `T${i}` }));

// ---------------------------------------------------------------------------------------------
// The cases

const cases: Case[] = [];
function add(
  group: string,
  name: string,
  request: () => Sent,
  expect: Expectation,
  profile: Profile = "default",
): void {
  cases.push({ group, name, profile, request, expect });
}
const invalid = (pointer: string): Expectation => ({ status: 400, type: "invalid-request", pointer });
const malformed: Expectation = { status: 400, type: "malformed-json", pointer: "", detail: /not valid JSON/ };

// Bad JSON
const valid = JSON.stringify(validBody());
for (const [name, body] of [
  ["truncated", valid.slice(0, valid.length - 5)],
  ["truncated after a comma", '{"linkConnection":"demo-link",'],
  ["trailing garbage", `${valid} trailing`],
  ["a second document", `${valid}${valid}`],
  ["an extra closing brace", `${valid}}`],
  ["NaN", '{"linkConnection":"demo-link","tables":NaN}'],
  ["Infinity", '{"linkConnection":"demo-link","tables":[],"x":Infinity}'],
  ["single quotes", "{'linkConnection':'demo-link','tables':[{'schema':'dbo','name':'Orders'}]}"],
  ["unquoted keys", '{linkConnection:"demo-link",tables:[]}'],
  ["a trailing comma", '{"linkConnection":"demo-link","tables":[{"schema":"dbo","name":"Orders"},]}'],
  ["a comment", '// comment\n{"linkConnection":"demo-link"}'],
  ["a hexadecimal number", '{"linkConnection":"demo-link","tables":0x10}'],
  ["undefined", "undefined"],
  ["an empty body", ""],
  ["whitespace only", " \n\t "],
  ["an unterminated string", '{"linkConnection":"demo-link'],
  ["a raw control character in a string", '{"linkConnection":"demo\u0001link"}'],
] as const) {
  add("bad JSON", name, () => raw(body), malformed);
}
add("bad JSON", "invalid UTF-8 bytes", () => raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), malformed);
for (const [name, body] of [
  ["an array", "[]"],
  ["an array of the valid body", `[${valid}]`],
  ["a string", '"demo-link"'],
  ["a number", "42"],
  ["null", "null"],
  ["true", "true"],
] as const) {
  add("top-level value", `${name} at top level`, () => raw(body), {
    status: 400,
    type: "invalid-request",
    pointer: "",
    detail: /invalid field/,
  });
}

// Wrong types for every field
const STRING = [42, true, null, [], {}];
const ARRAY = [42, true, null, {}, "dbo.Orders"];
const OBJECT = [42, true, null, [], "dbo.Orders"];
const FIELDS: [Path, unknown[]][] = [
  [["workspace"], STRING],
  [["linkConnection"], STRING],
  [["tables"], ARRAY],
  [["tables", 0], OBJECT],
  [["tables", 0, "schema"], STRING],
  [["tables", 0, "name"], STRING],
  [["tables", 0, "target"], OBJECT],
  [["tables", 0, "target", "schema"], STRING],
  [["tables", 0, "target", "name"], STRING],
  [["tables", 0, "target", "distribution"], STRING],
  [["tables", 0, "target", "distributionColumn"], STRING],
  [["tables", 0, "target", "structure"], STRING],
  [["callbackUrl"], STRING],
];
for (const [path, values] of FIELDS) {
  for (const value of values) {
    add(
      "wrong type",
      `${pointerOf(path)} = ${JSON.stringify(value)}`,
      () => json(bodyWith(path, value)),
      invalid(pointerOf(path)),
    );
  }
}
add(
  "wrong type",
  "/linkConnection nested 100000 arrays deep",
  () => raw(`{"linkConnection":${"[".repeat(100_000)}${"]".repeat(100_000)},"tables":[]}`),
  invalid("/linkConnection"),
);

// Missing required fields
for (const path of [
  ["linkConnection"],
  ["tables"],
  ["tables", 0, "schema"],
  ["tables", 0, "name"],
] as Path[]) {
  add("missing", `without ${pointerOf(path)}`, () => json(bodyWith(path, REMOVE)), invalid(pointerOf(path)));
}
add("missing", "an empty object", () => raw("{}"), invalid("/linkConnection"));

// Unknown fields
for (const [name, body, pointer] of [
  ["top-level foo", `{"foo":1,${valid.slice(1)}`, "/foo"],
  ["top-level __proto__", `{"__proto__":{"polluted":true},${valid.slice(1)}`, "/__proto__"],
  ["top-level constructor", `{"constructor":{"prototype":{}},${valid.slice(1)}`, "/constructor"],
  ["Workspace (wrong case)", `{"Workspace":"demo",${valid.slice(1)}`, "/Workspace"],
  ["a key with / and ~", `{"a/b~c":1,${valid.slice(1)}`, "/a~1b~0c"],
] as const) {
  add("unknown field", name, () => raw(body), invalid(pointer));
}
add(
  "unknown field",
  "tables/0/Schema",
  () => json(bodyWith(["tables", 0, "Schema"], "dbo")),
  invalid("/tables/0/Schema"),
);
add(
  "unknown field",
  "target/distributionColum (typo)",
  () => json(bodyWith(["tables", 0, "target", "distributionColum"], "OrderId")),
  invalid("/tables/0/target/distributionColum"),
);
add(
  "unknown field",
  "target/primaryKey",
  () => json(bodyWith(["tables", 0, "target", "primaryKey"], ["OrderId"])),
  invalid("/tables/0/target/primaryKey"),
);

// Table counts
add("table count", "0 tables", () => json(bodyWith(["tables"], [])), {
  ...invalid("/tables"),
  fieldDetail: /at least one/,
});
add("table count", "501 tables", () => json(bodyWith(["tables"], tables(501))), {
  ...invalid("/tables"),
  fieldDetail: /at most 500/,
});

// Identifiers: too long, empty, control characters
const IDENTIFIERS: Path[] = [
  ["tables", 0, "schema"],
  ["tables", 0, "name"],
  ["tables", 0, "target", "schema"],
  ["tables", 0, "target", "name"],
  ["tables", 0, "target", "distributionColumn"],
];
const NAMES: Path[] = [["workspace"], ["linkConnection"]];
for (const path of IDENTIFIERS) {
  add("too long", `${pointerOf(path)} of 129 characters`, () => json(bodyWith(path, "x".repeat(129))), {
    ...invalid(pointerOf(path)),
    fieldDetail: /at most 128 characters/,
  });
}
add(
  "too long",
  "/workspace of 129 characters",
  () => json(bodyWith(["workspace"], "w".repeat(129))),
  invalid("/workspace"),
);
add(
  "too long",
  "/linkConnection of 141 characters",
  () => json(bodyWith(["linkConnection"], "l".repeat(141))),
  {
    ...invalid("/linkConnection"),
    fieldDetail: /at most 140 characters/,
  },
);
for (const path of [...IDENTIFIERS, ...NAMES, ["callbackUrl"]]) {
  add("empty string", `${pointerOf(path)} = ""`, () => json(bodyWith(path, "")), invalid(pointerOf(path)));
}
const CONTROLS = ["\u0000", "\u0007", "\u001f", "\u007f", "\u0085"];
const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
for (const path of [...IDENTIFIERS, ...NAMES]) {
  for (const c of CONTROLS) {
    const value = path[0] === "workspace" ? `de${c}mo` : `Ord${c}ers`;
    add(
      "control character",
      `${escaped(c)} in ${pointerOf(path)}`,
      () => json(bodyWith(path, value)),
      invalid(pointerOf(path)),
    );
  }
}
for (const c of CONTROLS) {
  add(
    "control character",
    `${escaped(c)} in /callbackUrl`,
    () => json(bodyWith(["callbackUrl"], `https://example.org/hooks/on${c}boarding`)),
    invalid("/callbackUrl"),
  );
}
add(
  "control character",
  "an unpaired surrogate in /tables/0/name (the ledger cannot store it)",
  () => raw(valid.replace('"name":"Orders"', '"name":"Orders\\ud800"')),
  invalid("/tables/0/name"),
);

// Duplicates
function duplicate(name: string, pointer: string, ...given: object[]): void {
  add("duplicate", name, () => json(bodyWith(["tables"], given)), {
    ...invalid(pointer),
    fieldDetail: /duplicates tables\/0/,
  });
}
const orders = { schema: "dbo", name: "Orders" };
duplicate("the same table twice", "/tables/1", orders, { schema: "dbo", name: "Orders" });
duplicate("the same table in another case", "/tables/1", orders, { schema: "DBO", name: "orders" });
duplicate(
  "a duplicate with another target, third of three",
  "/tables/2",
  orders,
  { schema: "sales", name: "Orders" },
  { schema: "Dbo", name: "ORDERS", target: { structure: "Heap" } },
);

// Distribution rules and enums
const TARGET: Path = ["tables", 0, "target"];
const COLUMN = pointerOf([...TARGET, "distributionColumn"]);
for (const [name, target] of [
  ["Hash without distributionColumn", { distribution: "Hash" }],
  ["distributionColumn without distribution", { distributionColumn: "OrderId" }],
  ["distributionColumn with RoundRobin", { distribution: "RoundRobin", distributionColumn: "OrderId" }],
  ["distributionColumn with Replicate", { distribution: "Replicate", distributionColumn: "OrderId" }],
] as const) {
  add("distribution rule", name, () => json(bodyWith(TARGET, target)), invalid(COLUMN));
}
for (const value of ["hash", "Round_Robin", "ROUNDROBIN", "Random"]) {
  add(
    "unknown enum",
    `distribution ${value}`,
    () => json(bodyWith(TARGET, { distribution: value })),
    invalid(pointerOf([...TARGET, "distribution"])),
  );
}
for (const value of ["CCI", "heap", "ClusteredColumnStoreIndex", "Columnstore"]) {
  add(
    "unknown enum",
    `structure ${value}`,
    () => json(bodyWith(TARGET, { structure: value })),
    invalid(pointerOf([...TARGET, "structure"])),
  );
}

// callbackUrl
for (const url of [
  "http://example.org/hooks/onboarding",
  "ftp://example.org/hooks",
  "ws://example.org/hooks",
  "file:///etc/passwd",
  "javascript:alert(1)",
  "example.org/hooks",
  "//example.org/hooks",
  "https://",
  "https://exa mple.org/hooks",
]) {
  add("callbackUrl", JSON.stringify(url), () => json(bodyWith(["callbackUrl"], url)), {
    ...invalid("/callbackUrl"),
    detail: /callbackUrl/,
  });
}

// callbackUrl pointing inside the network (SSRF): refused at intake, nothing queued.
for (const url of [
  "https://169.254.169.254/metadata/instance",
  "https://127.0.0.1/hooks",
  "https://[::1]/hooks",
  "https://[::ffff:169.254.169.254]/hooks",
  "https://2130706433/hooks",
  "https://0x7f.1/hooks",
  "https://10.0.0.5/hooks",
  "https://192.168.1.10/hooks",
  "https://localhost/hooks",
  "https://example.org:8443/hooks",
]) {
  add("callbackUrl inside the network", JSON.stringify(url), () => json(bodyWith(["callbackUrl"], url)), {
    ...invalid("/callbackUrl"),
  });
}

// Body size
const padded = (bytes: number) => {
  const body = JSON.stringify({ ...validBody(), pad: "" });
  return body.replace('"pad":""', `"pad":"${"x".repeat(bytes - Buffer.byteLength(body))}"`);
};
const tooLarge: Expectation = { status: 413, type: "body-too-large", detail: /limit is 262144 bytes/ };
add(
  "body size",
  "256 KiB + 1 with Content-Length",
  () => {
    const body = padded(LIMIT + 1);
    return raw(body, { ...JSON_TYPE, "content-length": String(Buffer.byteLength(body)) });
  },
  tooLarge,
);
add("body size", "256 KiB + 1 without Content-Length", () => raw(padded(LIMIT + 1)), tooLarge);
add("body size", "1 MiB without Content-Length", () => raw(padded(1024 * 1024)), tooLarge);
add(
  "body size",
  "a small body declaring 300000 bytes",
  () => raw(valid, { ...JSON_TYPE, "content-length": "300000" }),
  tooLarge,
);
add(
  "body size",
  "256 KiB + 1 of multi-byte characters (more bytes than characters)",
  () => raw(JSON.stringify({ ...validBody(), pad: "é".repeat(LIMIT / 2) })),
  tooLarge,
);
add(
  "body size",
  "256 KiB + 1 as text/plain with Content-Length (refused before reading)",
  () => raw(padded(LIMIT + 1), { "content-type": "text/plain", "content-length": String(LIMIT + 1) }),
  tooLarge,
);

// Content types
const unsupported: Expectation = {
  status: 415,
  type: "unsupported-media-type",
  detail: /Content-Type must be application\/json/,
};
for (const [name, headers] of [
  ["text/plain", { "content-type": "text/plain" }],
  ["no Content-Type", {}],
  ["an empty Content-Type", { "content-type": "" }],
  ["multipart/form-data", { "content-type": "multipart/form-data; boundary=----x" }],
  ["application/xml", { "content-type": "application/xml" }],
  ["application/x-www-form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }],
  ["text/json", { "content-type": "text/json" }],
  ["application/javascript", { "content-type": "application/javascript" }],
  ["application/jsonx", { "content-type": "application/jsonx" }],
] as const) {
  add("content type", name, () => raw(valid, headers), unsupported);
}

// Idempotency-Key
const keyError: Expectation = { ...invalid("Idempotency-Key"), detail: /Idempotency-Key/ };
for (const [name, key] of [
  ["with spaces", "my key"],
  ["with a tab inside", "my\tkey"],
  ["256 characters", "k".repeat(256)],
  ["non-ASCII (latin-1 é)", "cl\u00e9"],
  [
    "non-ASCII (UTF-8 bytes of a Cyrillic word, as a server decodes them)",
    Buffer.from("ключ").toString("latin1"),
  ],
  ["empty", ""],
] as const) {
  add("Idempotency-Key", name, () => raw(valid, { ...JSON_TYPE, "idempotency-key": key }), keyError);
}
// The same Idempotency-Key with another body is accepted and recorded as Rejected by the queue
// consumer (test/integration/httpContract.test.ts): intake pays one storage call (docs/api.md).

// Workspaces and links
const notAllowed: Expectation = {
  status: 403,
  type: "link-not-allowed",
  detail: /is not allowed by this app's configuration/,
};
add("link", "an unknown workspace", () => json(bodyWith(["workspace"], "nope")), notAllowed);
add(
  "link",
  "an unknown workspace (two configured)",
  () => json(bodyWith(["workspace"], "nope")),
  notAllowed,
  "restricted",
);
add(
  "link",
  "a link not in ALLOWED_LINKS",
  () => json({ ...bodyWith(["workspace"], "demo"), linkConnection: "other-link" }),
  notAllowed,
  "restricted",
);
add(
  "link",
  "a routed link in another workspace",
  () => json({ ...bodyWith(["workspace"], "demo"), linkConnection: "routed-link" }),
  notAllowed,
  "restricted",
);
add(
  "link",
  "a configured workspace, no rule for the link",
  () => json(bodyWith(["workspace"], "other")),
  notAllowed,
  "restricted",
);
add(
  "link",
  "workspace omitted with two workspaces configured",
  () => json(validBody()),
  { ...invalid("/workspace"), detail: /more than one workspace/ },
  "restricted",
);

// Standard Webhooks (WEBHOOK_SECRET set)
const badSignature: Expectation = { status: 401, type: "invalid-signature", pointer: "webhook-signature" };
const badTimestamp: Expectation = { status: 401, type: "invalid-signature", pointer: "webhook-timestamp" };
const withoutHeader = (name: string) => (): Sent => {
  const sent = signed(valid);
  Reflect.deleteProperty(sent.headers, name);
  return sent;
};
for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
  add(
    "signature",
    `without ${name}`,
    withoutHeader(name),
    { status: 401, type: "invalid-signature", pointer: name, detail: new RegExp(`missing ${name}`) },
    "signed",
  );
}
add(
  "signature",
  "no webhook headers at all",
  () => raw(valid),
  { status: 401, type: "invalid-signature", pointer: "webhook-id" },
  "signed",
);
add(
  "signature",
  "an empty webhook-signature",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-signature"] = "";
    return sent;
  },
  { status: 401, type: "invalid-signature", pointer: "webhook-signature" },
  "signed",
);
add(
  "signature",
  "a made-up signature",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-signature"] = `v1,${Buffer.alloc(32, 7).toString("base64")}`;
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "signed with another secret",
  () => signed(valid, { secret: FOREIGN_SECRET }),
  badSignature,
  "signed",
);
add(
  "signature",
  "the signature without its v1, prefix",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-signature"] = (sent.headers["webhook-signature"] ?? "").slice(3);
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "the signature under a v2, prefix",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-signature"] = (sent.headers["webhook-signature"] ?? "").replace(/^v1,/, "v2,");
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "a truncated signature",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-signature"] = (sent.headers["webhook-signature"] ?? "").slice(0, 20);
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "a signature for another webhook-id",
  () => {
    const sent = signed(valid);
    sent.headers["webhook-id"] = `msg_other_${Date.now()}`;
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "a signature for another timestamp",
  () => {
    const sent = signed(valid, { timestamp: nowSeconds() - 10 });
    sent.headers["webhook-timestamp"] = String(nowSeconds());
    return sent;
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "the body modified after signing (a table renamed)",
  () => {
    const sent = signed(valid);
    return { ...sent, body: valid.replace("Orders", "Orderz") };
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "the body modified after signing (whitespace appended)",
  () => {
    const sent = signed(valid);
    return { ...sent, body: `${valid} ` };
  },
  badSignature,
  "signed",
);
add(
  "signature",
  "a timestamp 6 minutes old",
  () => signed(valid, { timestamp: nowSeconds() - 6 * 60 }),
  { ...badTimestamp, detail: /more than 5 minutes/ },
  "signed",
);
add(
  "signature",
  "a timestamp 6 minutes in the future",
  () => signed(valid, { timestamp: nowSeconds() + 6 * 60 }),
  { ...badTimestamp, detail: /more than 5 minutes/ },
  "signed",
);
for (const timestamp of ["soon", "1.7e9", "-1", "0x6553f100", `${nowSeconds()}.5`, "1".repeat(13)]) {
  add(
    "signature",
    `a non-numeric timestamp ${JSON.stringify(timestamp)}`,
    () => {
      const sent = signed(valid);
      sent.headers["webhook-timestamp"] = timestamp;
      return sent;
    },
    { ...badTimestamp, detail: /webhook-timestamp/ },
    "signed",
  );
}
add(
  "signature",
  "malformed JSON without a signature (checked before parsing)",
  () => raw('{"linkConnection":'),
  { status: 401, type: "invalid-signature", pointer: "webhook-id" },
  "signed",
);
add("signature", "malformed JSON, validly signed", () => signed('{"linkConnection":'), malformed, "signed");
add(
  "signature",
  "an invalid body, validly signed",
  () => signed(JSON.stringify(bodyWith(["tables"], []))),
  invalid("/tables"),
  "signed",
);
add(
  "signature",
  "a webhook-id of 600 characters, validly signed",
  () => signed(valid, { id: `msg_${"i".repeat(596)}` }),
  { status: 401, type: "invalid-signature", pointer: "webhook-id" },
  "signed",
);
add(
  "signature",
  "a webhook-id of 2000 characters, validly signed",
  () => signed(valid, { id: `msg_${"i".repeat(1996)}` }),
  { status: 401, type: "invalid-signature", pointer: "webhook-id" },
  "signed",
);
// A replayed delivery (same webhook-id) is accepted with the same requestId and recorded once.

// Too many tables for one queue message (64 KiB base64-encoded): 413, nothing queued.
const tooBig: Expectation = { status: 413, type: "request-too-large", detail: /Split the tables/ };
const named = (n: number, length: number, schema = "dbo") =>
  tables(n).map((t) => ({ schema, name: `${t.name}_${"n".repeat(length - t.name.length - 1)}` }));
add(
  "queue message size",
  "500 tables with 128-character names",
  () => json(bodyWith(["tables"], named(500, 128))),
  tooBig,
);
add(
  "queue message size",
  "200 tables with 128-character schemas and names",
  () => json(bodyWith(["tables"], named(200, 128, "s".repeat(128)))),
  tooBig,
);
add(
  "queue message size",
  "100 tables with 120 CJK characters in schema and name",
  () =>
    json(
      bodyWith(
        ["tables"],
        tables(100).map((t) => ({ schema: "架".repeat(120), name: `${t.name}${"表".repeat(120)}` })),
      ),
    ),
  tooBig,
);

// Valid control requests: each must be accepted and queued.
interface Control {
  name: string;
  profile: Profile;
  request: () => Sent;
}
const controls: Control[] = [
  { name: "the valid body", profile: "default", request: () => raw(valid) },
  {
    name: "a minimal body",
    profile: "default",
    request: () => json({ linkConnection: "demo-link", tables: [{ schema: "dbo", name: "Orders" }] }),
  },
  {
    name: "60 tables with 120 CJK characters in schema and name (keys longer than a table key allows)",
    profile: "default",
    request: () =>
      json(
        bodyWith(
          ["tables"],
          tables(60).map((t) => ({ schema: "架".repeat(120), name: `${t.name}${"表".repeat(120)}` })),
        ),
      ),
  },
  {
    name: "the link spelled DEMO-LINK in workspace DEMO",
    profile: "default",
    request: () => json({ ...validBody(), workspace: "DEMO", linkConnection: "DEMO-LINK" }),
  },
  {
    name: "320 short-named tables",
    profile: "default",
    request: () => json(bodyWith(["tables"], tables(320))),
  },
  {
    name: "127 tables with 128-character schemas and names",
    profile: "default",
    request: () => json(bodyWith(["tables"], named(127, 128, "s".repeat(128)))),
  },
  {
    name: "500 tables with 60-character names",
    profile: "default",
    request: () => json(bodyWith(["tables"], named(500, 60))),
  },
  {
    name: "application/json; charset=utf-8",
    profile: "default",
    request: () => raw(valid, { "content-type": "Application/JSON; charset=utf-8" }),
  },
  {
    name: "a */*+json media type",
    profile: "default",
    request: () => raw(valid, { "content-type": "application/vnd.onboarding+json" }),
  },
  // RFC 8259 §8.1: a parser may ignore a UTF-8 byte order mark (fetch's text() drops it).
  {
    name: "a UTF-8 byte order mark before the body",
    profile: "default",
    request: () => raw(`\ufeff${valid}`),
  },
  {
    name: "a body of exactly 256 KiB (whitespace-padded)",
    profile: "default",
    request: () => raw(valid.padEnd(LIMIT, " ")),
  },
  {
    name: "a 255-character Idempotency-Key",
    profile: "default",
    request: () => raw(valid, { ...JSON_TYPE, "idempotency-key": `k${Date.now()}`.padEnd(255, "k") }),
  },
  // Valid per the contract (1-255 visible ASCII) but 765 characters once URI-encoded for the ledger key.
  {
    name: "an Idempotency-Key of 200 '%' characters",
    profile: "default",
    request: () =>
      raw(valid, { ...JSON_TYPE, "idempotency-key": "%".repeat(199) + String(process.pid % 10) }),
  },
  {
    name: "Heap with Replicate",
    profile: "default",
    request: () => json(bodyWith(TARGET, { distribution: "Replicate", structure: "Heap" })),
  },
  {
    name: "demo/demo-link with two workspaces",
    profile: "restricted",
    request: () => json(bodyWith(["workspace"], "demo")),
  },
  {
    name: "a link a routing rule targets",
    profile: "restricted",
    request: () => json({ ...bodyWith(["workspace"], "other"), linkConnection: "routed-link" }),
  },
  { name: "validly signed", profile: "signed", request: () => signed(valid) },
  {
    name: "signed with the rotated secret",
    profile: "signed",
    request: () => signed(valid, { secret: ROTATED_SECRET }),
  },
  {
    name: "several signatures, one valid",
    profile: "signed",
    request: () => {
      const sent = signed(valid);
      sent.headers["webhook-signature"] =
        `v1,${Buffer.alloc(32).toString("base64")} v2,abc ${sent.headers["webhook-signature"] ?? ""}`;
      return sent;
    },
  },
  {
    name: "a timestamp 4 minutes old",
    profile: "signed",
    request: () => signed(valid, { timestamp: nowSeconds() - 4 * 60 }),
  },
];

// ---------------------------------------------------------------------------------------------
// Running them

let azurite: RunningAzurite;
let sim: SynapseSim;
let restoreSettings: () => void;
const countsByStatus = new Map<number, number>();
const countsByGroup = new Map<string, number>();
let hostileSent = 0;
let controlsSent = 0;
let queueReady: Promise<unknown> | undefined;

function onboardingQueue() {
  const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
    ONBOARDING_QUEUE,
  );
  queueReady ??= queue.createIfNotExists();
  return {
    getProperties: async () => {
      await queueReady;
      return queue.getProperties();
    },
    sendMessage: async (text: string) => {
      await queueReady;
      return queue.sendMessage(text);
    },
  };
}

const PROFILES: Record<Profile, () => Record<string, string | undefined>> = {
  default: () => ({
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    ALLOWED_LINKS: "demo/*",
    ROUTING_RULES: undefined,
    WEBHOOK_SECRET: undefined,
  }),
  restricted: () => ({
    SYNAPSE_WORKSPACES: `demo=${sim.url},other=${sim.url}`,
    ALLOWED_LINKS: "demo/demo-link",
    ROUTING_RULES: JSON.stringify([{ workspace: "other", linkConnection: "routed-link" }]),
    WEBHOOK_SECRET: undefined,
  }),
  signed: () => ({
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    ALLOWED_LINKS: "demo/*",
    ROUTING_RULES: undefined,
    WEBHOOK_SECRET: `${SECRET} ${ROTATED_SECRET}`,
  }),
};

function useProfile(profile: Profile): void {
  useAppSettings(PROFILES[profile]());
}

const send = (sent: Sent): Promise<HttpResult> =>
  invokeHttp(registry, "onboardingHttp", {
    path: "/api/onboarding",
    headers: sent.headers,
    ...(sent.body !== undefined ? { body: sent.body } : {}),
  });

function count(result: HttpResult, group: string): void {
  countsByStatus.set(result.status, (countsByStatus.get(result.status) ?? 0) + 1);
  countsByGroup.set(group, (countsByGroup.get(group) ?? 0) + 1);
}

beforeAll(async () => {
  azurite = await startAzurite();
  sim = await startSynapseSim({ seed: demoSeed(), token: SIM_TOKEN });
  restoreSettings = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: `hostile${process.pid}`,
    SYNAPSE_STATIC_TOKEN: SIM_TOKEN,
    ...PROFILES.default(),
  });
}, 60_000);

afterAll(async () => {
  const statuses = [...countsByStatus.entries()].sort(([a], [b]) => a - b);
  console.log(
    [
      `hostile input: ${hostileSent} hostile requests, ${controlsSent} valid controls`,
      `responses per status: ${statuses.map(([status, n]) => `${status}: ${n}`).join(", ")}`,
      `hostile requests per group: ${[...countsByGroup.entries()].map(([g, n]) => `${g} ${n}`).join(", ")}`,
    ].join("\n"),
  );
  await sim.close();
  await azurite.stop();
  restoreSettings();
});

for (const profile of ["default", "restricted", "signed"] as const) {
  describe(`profile ${profile}`, () => {
    beforeAll(() => {
      useProfile(profile);
    });

    const hostile = cases.filter((c) => c.profile === profile);
    it.each(hostile.map((c) => [`${c.group}: ${c.name}`, c] as const))("refuses %s", async (_title, c) => {
      const result = await send(c.request());
      hostileSent++;
      count(result, c.group);
      if (result.thrown !== undefined)
        throw new Error(`the handler threw (the host answers 500): ${describeThrown(result.thrown)}`);

      expect(result.status).toBe(c.expect.status);
      expect(result.mediaType).toBe("application/problem+json");
      expect(contract.violations("/api/onboarding", "post", result)).toEqual([]);
      const problem = result.json as {
        type: string;
        status: number;
        detail: string;
        errors?: { pointer: string; detail: string }[];
      };
      expect(problem.status).toBe(result.status);
      if (c.expect.type) expect(problem.type).toBe(`urn:synapse-link-autopilot:problem:${c.expect.type}`);
      if (c.expect.pointer !== undefined) {
        expect((problem.errors ?? []).map((e) => e.pointer)).toContain(c.expect.pointer);
      }
      if (c.expect.detail) expect(problem.detail).toMatch(c.expect.detail);
      if (c.expect.fieldDetail) {
        const entry = (problem.errors ?? []).find((e) => e.pointer === c.expect.pointer);
        expect(entry?.detail).toMatch(c.expect.fieldDetail);
      }
      // Nothing enqueued: the handler set no output binding.
      expect(result.outputs).toEqual({});
    });

    const valids = controls.filter((c) => c.profile === profile);
    it.each(valids.map((c) => [c.name, c] as const))("accepts the control: %s", async (_title, c) => {
      const result = await send(c.request());
      controlsSent++;
      countsByStatus.set(result.status, (countsByStatus.get(result.status) ?? 0) + 1);
      if (result.thrown !== undefined)
        throw new Error(`the handler threw (the host answers 500): ${describeThrown(result.thrown)}`);
      expect({ status: result.status, body: result.text }).toMatchObject({ status: 202 });
      expect(contract.violations("/api/onboarding", "post", result)).toEqual([]);
      expect(Object.keys(result.queueOutputs)).toEqual([ONBOARDING_QUEUE]);
      // Sent to the real queue as the host would (base64): Azurite refuses what a queue cannot hold.
      await onboardingQueue().sendMessage(encodeQueueMessage(result.queueOutputs[ONBOARDING_QUEUE]));
    });
  });
}

describe("afterwards", () => {
  it("sent at least 200 hostile requests", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });
});
