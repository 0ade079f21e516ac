import { parseCallbackAllowList } from "../../../shared/net/addressPolicy";
import { submitOnboarding, type SubmitDeps } from "../../../shared/intake/submitOnboarding";

const now = new Date("2026-01-05T08:00:00Z");

function deps(allowed?: string): SubmitDeps {
  return {
    webhookSecrets: [],
    acceptanceKey: Buffer.alloc(32, 7),
    routing: { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "*" }] },
    workspaces: ["demo"],
    newRequestId: () => "id-1",
    ...(allowed === undefined ? {} : { callbackAllowList: parseCallbackAllowList(allowed).allowList }),
  };
}

function submit(callbackUrl: string, allowed?: string) {
  const body = { linkConnection: "demo-link", tables: [{ schema: "dbo", name: "Orders" }], callbackUrl };
  return submitOnboarding(deps(allowed), {
    contentType: "application/json",
    body: JSON.stringify(body),
    header: () => undefined,
    origin: "https://app.example",
    now,
  });
}

describe("submitOnboarding: where a callbackUrl may point", () => {
  it.each([
    ["https://169.254.169.254/metadata/identity/oauth2/token", /cloud metadata/],
    ["https://168.63.129.16/machine", /cloud metadata/],
    ["https://127.0.0.1/hook", /loopback/],
    ["https://2130706433/hook", /loopback/],
    ["https://0x7f.1/hook", /loopback/],
    ["https://017700000001/hook", /loopback/],
    ["https://[::1]/hook", /loopback/],
    ["https://[::ffff:169.254.169.254]/hook", /cloud metadata/],
    ["https://[::127.0.0.1]/hook", /IPv4-embedding/],
    ["https://[fe80::1]/hook", /link-local/],
    ["https://[fd00::1]/hook", /unique-local/],
    ["https://10.1.2.3/hook", /private/],
    ["https://192.168.0.10/hook", /private/],
    ["https://100.100.100.200/hook", /CGNAT/],
    ["https://0.0.0.0/hook", /unspecified/],
    ["https://localhost/hook", /local name/],
    ["https://hooks.localhost/hook", /local name/],
    ["https://hooks.contoso.com:8080/hook", /port 8080/],
  ])("refuses %s naming /callbackUrl, and queues nothing", (url, reason) => {
    const result = submit(url);
    expect(result).toEqual({
      kind: "refused",
      refusal: {
        kind: "invalidFields",
        errors: [{ pointer: "/callbackUrl", detail: expect.stringMatching(reason) as string }],
      },
    });
  });

  it("refuses a callbackUrl over 2,048 characters (one stored property), accepting one of exactly 2,048", () => {
    const base = "https://hooks.contoso.com/hook?token=";
    const exact = `${base}${"t".repeat(2048 - base.length)}`;
    expect(submit(exact).kind).toBe("accepted");
    expect(submit(`${exact}t`)).toEqual({
      kind: "refused",
      refusal: {
        kind: "invalidFields",
        errors: [{ pointer: "/callbackUrl", detail: "must be at most 2048 characters" }],
      },
    });
  });

  it("accepts a public https host on the default port", () => {
    const result = submit("https://hooks.contoso.com/hook?token=t");
    expect(result.kind).toBe("accepted");
    if (result.kind === "accepted")
      expect(result.message.callbackUrl).toBe("https://hooks.contoso.com/hook?token=t");
  });

  it("accepts an internal receiver listed in CALLBACK_ALLOWED_HOSTS, on its own port", () => {
    expect(submit("https://10.1.2.3:8443/hook", "10.1.0.0/16").kind).toBe("accepted");
    expect(submit("https://receiver.corp:9000/hook", "receiver.corp").kind).toBe("accepted");
    expect(submit("https://10.2.0.1/hook", "10.1.0.0/16").kind).toBe("refused");
  });
});
