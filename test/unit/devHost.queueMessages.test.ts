import type { QueueClient } from "@azure/storage-queue";
import type { FunctionMetadata } from "../../dev/durable";
import { splitIntoChunks } from "../../dev/host/durableStateStore";
import {
  decodeQueueMessageText,
  encodeQueueMessage,
  encodeQueueOutput,
  normalizeQueueName,
  queueOutputBindings,
  queueTriggerInput,
  writeQueueOutputs,
  type QueueClients,
} from "../../dev/host/queueMessages";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("queue message encoding", () => {
  it("encodes strings as UTF-8 text, bytes as is and everything else as JSON, base64 by default", () => {
    expect(encodeQueueMessage("héllo")).toBe(b64("héllo"));
    expect(encodeQueueMessage({ a: 1 })).toBe(b64('{"a":1}'));
    expect(encodeQueueMessage(42)).toBe(b64("42"));
    expect(encodeQueueMessage(new Uint8Array([0, 255]))).toBe(Buffer.from([0, 255]).toString("base64"));
    expect(encodeQueueMessage({ a: 1 }, "none")).toBe('{"a":1}');
  });

  it("turns an array output into one message per element and null / undefined into none", () => {
    expect(encodeQueueOutput([{ a: 1 }, "b", null])).toEqual([b64('{"a":1}'), b64("b")]);
    expect(encodeQueueOutput(undefined)).toEqual([]);
    expect(encodeQueueOutput(null)).toEqual([]);
  });

  it("decodes base64 bodies and refuses text that is not base64", () => {
    expect(decodeQueueMessageText(b64('{"x":"ü"}'))).toBe('{"x":"ü"}');
    expect(decodeQueueMessageText("plain", "none")).toBe("plain");
    expect(() => decodeQueueMessageText("not base64!")).toThrow(/not valid base64/);
  });

  it("passes JSON objects and arrays parsed, anything else as the string", () => {
    expect(queueTriggerInput('{"a":1}')).toEqual({ a: 1 });
    expect(queueTriggerInput(" [1,2] ")).toEqual([1, 2]);
    expect(queueTriggerInput("42")).toBe("42");
    expect(queueTriggerInput("{broken")).toBe("{broken");
  });

  it("normalizes queue names (app settings, lowercase) and rejects invalid ones", () => {
    expect(normalizeQueueName("%Q%-Poison", { Q: "Onboarding" })).toBe("onboarding-poison");
    expect(() => normalizeQueueName("a", {})).toThrow(/not a valid queue name/);
    expect(() => normalizeQueueName("bad--name", {})).toThrow(/not a valid queue name/);
  });
});

describe("queue output bindings", () => {
  const metadata: FunctionMetadata = {
    name: "f",
    bindings: {
      trigger: { type: "httpTrigger", direction: "in" },
      $return: { type: "queue", direction: "out", queueName: "returned" },
      out1: { type: "queue", direction: "out", queueName: "first", connection: "AzureWebJobsStorage" },
      http: { type: "http", direction: "out" },
    },
  };

  it("lists the queue outputs of a registration, $return included", () => {
    expect(queueOutputBindings(metadata)).toEqual([
      { name: "$return", queueName: "returned" },
      { name: "out1", queueName: "first", connection: "AzureWebJobsStorage" },
    ]);
  });

  it("sends every value the handler set, in order, to its queue", async () => {
    const sent: [string, string][] = [];
    const clients = {
      ensureQueue: (name: string) =>
        Promise.resolve({
          sendMessage: (text: string) => {
            sent.push([name, text]);
            return Promise.resolve({});
          },
        } as unknown as QueueClient),
    } as unknown as QueueClients;
    const written = await writeQueueOutputs(
      clients,
      metadata,
      { result: "r", outputs: new Map<string, unknown>([["out1", [{ n: 1 }, { n: 2 }]]]) },
      "base64",
    );
    expect(sent).toEqual([
      ["returned", b64("r")],
      ["first", b64('{"n":1}')],
      ["first", b64('{"n":2}')],
    ]);
    expect(written).toEqual(["returned", "first", "first"]);
  });
});

describe("durable state chunks", () => {
  it("splits text into chunks of at most the given size without splitting a surrogate pair", () => {
    const text = "ab😀cd"; // the emoji is two UTF-16 code units at index 2-3
    const chunks = splitIntoChunks(text, 3);
    expect(chunks.join("")).toBe(text);
    expect(chunks).toEqual(["ab", "😀c", "d"]);
    expect(splitIntoChunks("", 3)).toEqual([]);
  });
});
