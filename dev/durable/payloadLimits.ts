/**
 * Size limits of the Durable extension on Azure Storage that the driver enforces or reports.
 */
import type { LargePayloadKind } from "./instanceState";

/** `MaxCustomStatusPayloadSizeInKB` in the extension's `DurableOrchestrationContext.SetCustomStatus`. */
export const MAX_CUSTOM_STATUS_KB = 16;

/** Default `largePayloadBytes`: the Azure Storage queue message limit (64 KiB). */
export const DEFAULT_LARGE_PAYLOAD_BYTES = 64 * 1024;

/** Most entries kept in `largePayloads` per instance, so an eternal orchestration cannot grow it without bound. */
export const MAX_LARGE_PAYLOAD_ENTRIES = 100;

/** .NET `{0:N0}`: thousands separators, no decimals. */
const n0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * The extension's check (`MessagePayloadDataConverter.Serialize(value, maxSizeInKB)`): the UTF-16 byte count of
 * the JSON, in whole KB rounded down, must not exceed the limit. JS strings are UTF-16, so the byte count is
 * twice the string length. `JSON.stringify` stands in for Newtonsoft's `Formatting.None` (both leave non-ASCII
 * unescaped). Returns the extension's exception message, or undefined when the value fits.
 */
export function customStatusSizeError(customStatus: unknown): string | undefined {
  if (customStatus === undefined || customStatus === null) return undefined;
  const json = JSON.stringify(customStatus);
  const sizeInKB = Math.floor((json.length * 2) / 1024);
  if (sizeInKB <= MAX_CUSTOM_STATUS_KB) return undefined;
  return (
    `The UTF-16 size of the JSON-serialized payload must not exceed ${n0.format(MAX_CUSTOM_STATUS_KB)} KB. ` +
    `The current payload size is ${n0.format(sizeInKB)} KB.`
  );
}

/** UTF-8 bytes of a payload's JSON text (`undefined` counts as `null`, like the wire). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
}

const KIND_TEXT: Record<LargePayloadKind, string> = {
  orchestrationInput: "the input of orchestration",
  continueAsNewInput: "the continueAsNew input of orchestration",
  activityInput: "the input of activity",
  activityResult: "the result of activity",
};

/** e.g. `the result of activity 'Plan' is 70,123 bytes of JSON, over the 65,536-byte threshold`. */
export function describeLargePayload(
  kind: LargePayloadKind,
  name: string,
  bytes: number,
  limit: number,
): string {
  return `${KIND_TEXT[kind]} '${name}' is ${n0.format(bytes)} bytes of JSON, over the ${n0.format(limit)}-byte threshold`;
}
