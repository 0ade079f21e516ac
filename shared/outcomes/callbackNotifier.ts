import {
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  isRestError,
  RestError,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
} from "@azure/core-rest-pipeline";
import type { RequestView } from "../ledger/ledger";
import { CallbackTargetPolicy, type CallbackAllowList } from "../net/addressPolicy";
import { ADDRESS_REFUSED, createPinnedHttpClient, type ResolveAll } from "../net/pinnedHttpClient";
import { sign } from "../webhooks/standardWebhooks";
import { completedRequestData } from "./outcomeEvents";

export interface CallbackNotifierOptions {
  /** Standard Webhooks secrets (decoded, `config.intake.webhookSecrets`); the first one signs. Empty = unsigned. */
  secrets: readonly Buffer[];
  /** Per attempt, until the response headers arrive. Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Base of the exponential backoff. Default 1 s. */
  retryDelayMs?: number;
  /** Cap of one backoff delay. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Everything, retries and Retry-After waits included, ends after this. Default 60 s. */
  totalTimeoutMs?: number;
  /** Clock for `webhook-timestamp` (milliseconds). */
  clock?: () => number;
  /** `CALLBACK_ALLOWED_HOSTS` (`config.outcomes.callbackAllowList`); none = public https hosts only. */
  allowList?: CallbackAllowList;
  /** How a host name becomes addresses; `dns.lookup` (all) unless a test simulates an answer. */
  resolve?: ResolveAll;
  /**
   * Tests only: lets a local http server receive callbacks and/or swaps the HTTP client (a swapped
   * client connects nowhere, so the resolved-address check, which lives in the real client, is
   * skipped with it). Nothing in the configuration reaches it; the composition root never passes it.
   */
  testOnly?: { allowInsecureConnection?: boolean; httpClient?: HttpClient };
}

export type CallbackResult =
  | { outcome: "skipped" }
  | { outcome: "refused"; error: string }
  | { outcome: "delivered"; status: number; attempts: number }
  | { outcome: "failed"; attempts: number; status?: number; error: string };

const RETRY_AFTER_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"];

/**
 * POSTs a completed request to its `callbackUrl` once (docs/events.md#callbacks), signed with
 * Standard Webhooks headers when secrets are configured: `webhook-id` is the request id, so a
 * receiver can drop a repeat. Delivery goes through an Azure core pipeline: its retry policy
 * retries network errors, 408 and 5xx with exponential backoff and honours Retry-After on 429/503;
 * two small per-attempt policies make a timed-out attempt and a 429 without Retry-After retryable
 * too, and re-sign every attempt with a fresh timestamp. Never throws: the result says what
 * happened (the request's status is visible over HTTP either way).
 */
export class CallbackNotifier {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly secret: Buffer | undefined;
  private readonly timeoutMs: number;
  private readonly totalTimeoutMs: number;
  private readonly allowInsecure: boolean;
  private readonly targets: CallbackTargetPolicy;
  private readonly attempts = new WeakMap<PipelineRequest, number>();

  constructor(options: CallbackNotifierOptions) {
    this.secret = options.secrets[0];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 60_000;
    this.allowInsecure = options.testOnly?.allowInsecureConnection === true;
    this.targets = new CallbackTargetPolicy(options.allowList);
    this.httpClient = options.testOnly?.httpClient ?? createPinnedHttpClient(this.targets, options.resolve);
    const retryDelayMs = options.retryDelayMs ?? 1_000;
    const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    const clock = options.clock ?? Date.now;

    this.pipeline = createPipelineFromOptions({
      retryOptions: {
        maxRetries: options.maxRetries ?? 3,
        retryDelayInMs: retryDelayMs,
        maxRetryDelayInMs: maxRetryDelayMs,
      },
      // A webhook is delivered where it was asked to go, not wherever a 3xx points.
      redirectOptions: { maxRetries: 0 },
      userAgentOptions: { userAgentPrefix: "synapse-link-autopilot" },
    });
    this.pipeline.addPolicy(this.attemptPolicy(retryDelayMs, maxRetryDelayMs), { afterPhase: "Retry" });
    this.pipeline.addPolicy(signingPolicy(this.secret, clock), { phase: "Sign" });
  }

  async notify(request: RequestView): Promise<CallbackResult> {
    const url = request.callbackUrl;
    if (!url) return { outcome: "skipped" };
    const refusal = this.refusal(url);
    if (refusal)
      return { outcome: "refused", error: `callback for request ${request.requestId}: ${refusal}` };

    const body = JSON.stringify(completedRequestData(request));
    // Bounds the whole delivery; cleared when it ends so no timer outlives it.
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort();
    }, this.totalTimeoutMs);
    const pipelineRequest = createPipelineRequest({
      url,
      method: "POST",
      body,
      headers: createHttpHeaders({
        "content-type": "application/json",
        "webhook-id": request.requestId,
      }),
      timeout: this.timeoutMs,
      abortSignal: deadline.signal,
      allowInsecureConnection: this.allowInsecure,
    });
    const where = `callback for request ${request.requestId} to ${redacted(url)}`;
    try {
      const response = await this.pipeline.sendRequest(this.httpClient, pipelineRequest);
      const attempts = this.attempts.get(pipelineRequest) ?? 1;
      if (response.status >= 200 && response.status < 300) {
        return { outcome: "delivered", status: response.status, attempts };
      }
      return {
        outcome: "failed",
        attempts,
        status: response.status,
        error: `${where} failed: HTTP ${response.status} after ${attempts} attempt(s)`,
      };
    } catch (error) {
      if (isRestError(error) && error.code === ADDRESS_REFUSED) {
        return { outcome: "refused", error: `${where} refused: ${error.message}` };
      }
      const attempts = this.attempts.get(pipelineRequest) ?? 0;
      const reason =
        error instanceof Error && error.name === "AbortError"
          ? `gave up after ${this.totalTimeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error);
      return {
        outcome: "failed",
        attempts,
        ...(isRestError(error) && error.statusCode !== undefined ? { status: error.statusCode } : {}),
        error: `${where} failed after ${attempts} attempt(s): ${reason}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * https only, and nowhere intake would refuse (a request recorded before a rule existed, or with
   * an allow-list since shortened). The URL is validated at intake too, but this is the last line;
   * the addresses a name resolves to are checked by the HTTP client on every attempt.
   */
  private refusal(url: string): string | undefined {
    if (!URL.canParse(url)) return "callbackUrl is not a valid URL";
    const parsed = new URL(url);
    const { protocol } = parsed;
    if (protocol !== "https:" && !(protocol === "http:" && this.allowInsecure)) {
      return `refusing callbackUrl with scheme "${protocol.replace(/:$/, "")}": only https callbacks are sent`;
    }
    const target = this.targets.refuseUrl(parsed);
    return target && `refusing callbackUrl: ${target}`;
  }

  /**
   * Runs on every attempt, inside the SDK's retry policy. Counts attempts; turns a per-attempt
   * timeout (an AbortError the caller did not ask for) into the ETIMEDOUT system error the SDK
   * retries; gives a 429 without Retry-After an exponential `retry-after-ms` so the SDK's
   * throttling strategy retries it (the default strategies retry 429 only with a Retry-After).
   */
  private attemptPolicy(retryDelayMs: number, maxRetryDelayMs: number): PipelinePolicy {
    return {
      name: "callbackAttemptPolicy",
      sendRequest: async (request, next) => {
        const attempt = (this.attempts.get(request) ?? 0) + 1;
        this.attempts.set(request, attempt);
        try {
          const response = await next(request);
          if (response.status === 429 && !RETRY_AFTER_HEADERS.some((h) => response.headers.has(h))) {
            const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs);
            response.headers.set("retry-after-ms", String(delay));
          }
          return response;
        } catch (error) {
          if (error instanceof Error && error.name === "AbortError" && !request.abortSignal?.aborted) {
            throw new RestError(`no response within ${this.timeoutMs} ms`, { code: "ETIMEDOUT", request });
          }
          throw error;
        }
      },
    };
  }
}

/** Standard Webhooks headers, re-signed per attempt so a late retry still has a fresh timestamp. */
function signingPolicy(secret: Buffer | undefined, clock: () => number): PipelinePolicy {
  return {
    name: "standardWebhooksSigningPolicy",
    sendRequest: (request, next) => {
      const id = request.headers.get("webhook-id");
      const timestamp = Math.floor(clock() / 1000);
      request.headers.set("webhook-timestamp", String(timestamp));
      if (secret && id && typeof request.body === "string") {
        request.headers.set("webhook-signature", sign(secret, id, timestamp, request.body));
      }
      return next(request);
    },
  };
}

/** Logs show where a callback went, never its query string (it may carry a token). */
function redacted(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
