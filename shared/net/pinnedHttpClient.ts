import { lookup as dnsLookup } from "node:dns/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import {
  createDefaultHttpClient,
  RestError,
  type HttpClient,
  type PipelineRequest,
} from "@azure/core-rest-pipeline";
import { unbracketed, type CallbackTargetPolicy, type ResolvedAddress } from "./addressPolicy";

/** Every address a name resolves to (`dns.lookup` with `all`, what Node's own connect uses). */
export type ResolveAll = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const resolveWithDns: ResolveAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The error code of a delivery refused because of where the host resolved to. */
export const ADDRESS_REFUSED = "CALLBACK_ADDRESS_REFUSED";

/** A `lookup` for the socket that answers only the addresses already checked: no second resolution. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = addresses.filter((a) => !options.family || a.family === options.family);
    const answer = wanted.length > 0 ? wanted : addresses;
    if (options.all === true) {
      callback(
        null,
        answer.map((a) => ({ address: a.address, family: a.family })),
      );
      return;
    }
    const [first] = answer;
    if (first) callback(null, first.address, first.family);
    else callback(Object.assign(new Error("no checked address"), { code: "ENOTFOUND" }), "", 0);
  };
}

/**
 * An HTTP client for the core pipeline that resolves the host itself before every attempt, refuses
 * the attempt when any answer is blocked by `policy` (DNS rebinding: a name that was public at
 * intake may point inside later), and then connects only to the addresses it checked, through an
 * agent whose `lookup` returns them. An IP literal is connected to as is, without its brackets
 * (Node's `http.request` would otherwise look `[::1]` up as a name and fail with ENOTFOUND).
 * The agent it sets also takes the place of any HTTPS_PROXY agent: a proxy would resolve the name
 * again, out of reach of the check.
 */
export function createPinnedHttpClient(
  policy: CallbackTargetPolicy,
  resolve: ResolveAll = resolveWithDns,
  inner: HttpClient = createDefaultHttpClient(),
): HttpClient {
  return {
    async sendRequest(request) {
      const url = new URL(request.url);
      const host = unbracketed(url.hostname);
      const family = isIP(host);
      let addresses: readonly ResolvedAddress[];
      if (family !== 0) {
        addresses = [{ address: host, family }];
      } else {
        try {
          addresses = await withinRequestLimits(resolve(host), request);
        } catch (error) {
          if ((error as Error).name === "AbortError") throw error;
          const code = (error as NodeJS.ErrnoException).code ?? "ENOTFOUND";
          throw new RestError(`cannot resolve ${host}: ${(error as Error).message}`, { code, request });
        }
      }
      const refusal = policy.refuseAddresses(host, addresses);
      if (refusal) throw new RestError(refusal, { code: ADDRESS_REFUSED, request });
      const options = { keepAlive: false, lookup: pinnedLookup(addresses) };
      request.agent = url.protocol === "https:" ? new HttpsAgent(options) : new HttpAgent(options);
      if (family !== 0) request.requestOverrides = { ...request.requestOverrides, hostname: host };
      return inner.sendRequest(request);
    },
  };
}

/**
 * The name lookup happens before the inner client applies the request's timeout and abort signal:
 * hold it to the same limits, so a lookup that never answers cannot hold a delivery past them.
 */
function withinRequestLimits<T>(work: Promise<T>, request: PipelineRequest): Promise<T> {
  const { abortSignal, timeout } = request;
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      const error = new Error("The operation was aborted.");
      error.name = "AbortError";
      reject(error);
    };
    if (abortSignal?.aborted) {
      abort();
      return;
    }
    const timer =
      timeout > 0
        ? setTimeout(() => {
            reject(Object.assign(new Error(`no answer within ${timeout} ms`), { code: "ETIMEDOUT" }));
          }, timeout)
        : undefined;
    abortSignal?.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      abortSignal?.removeEventListener("abort", abort);
    });
  });
}
