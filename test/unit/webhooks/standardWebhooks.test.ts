import { decodeSecret, sign, verify } from "../../../shared/webhooks/standardWebhooks";

const secret = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 0);
const other = decodeSecret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=", 1);
const body = '{"linkConnection":"demo-link"}';
const now = 1_767_600_000;

function headers(signature: string, timestamp = now, id = "msg_1") {
  return { id, timestamp: String(timestamp), signature };
}

describe("Standard Webhooks", () => {
  it("accepts a signature made with the configured secret", () => {
    expect(verify([secret], headers(sign(secret, "msg_1", now, body)), body, now)).toEqual({
      ok: true,
      id: "msg_1",
    });
  });

  it("accepts the old secret during rotation and any of several offered signatures", () => {
    const both = `${sign(other, "msg_1", now, body)} ${sign(secret, "msg_1", now, body)}`;
    expect(verify([other, secret], headers(both), body, now).ok).toBe(true);
    expect(verify([secret], headers(both), body, now).ok).toBe(true);
  });

  it("refuses a body changed after signing", () => {
    expect(verify([secret], headers(sign(secret, "msg_1", now, body)), body + " ", now)).toMatchObject({
      ok: false,
      pointer: "webhook-signature",
    });
  });

  it("refuses a timestamp more than five minutes off in either direction", () => {
    for (const skew of [-301, 301]) {
      const ts = now + skew;
      expect(verify([secret], headers(sign(secret, "msg_1", ts, body), ts), body, now)).toMatchObject({
        ok: false,
        pointer: "webhook-timestamp",
      });
    }
  });

  it("names the missing header", () => {
    expect(verify([secret], { id: "x", timestamp: undefined, signature: "v1,abc" }, body, now)).toMatchObject(
      {
        ok: false,
        reason: "missing webhook-timestamp header",
      },
    );
  });

  it("refuses a secret that is not whsec_ base64", () => {
    expect(() => decodeSecret("whsec_not base64!", 2)).toThrow(/secret #3/);
  });
});
