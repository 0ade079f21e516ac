import {
  blockedAddressReason,
  CallbackTargetPolicy,
  isLocalName,
  parseCallbackAllowList,
} from "../../../shared/net/addressPolicy";

describe("blockedAddressReason", () => {
  it.each([
    ["169.254.169.254", "cloud metadata"],
    ["168.63.129.16", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["169.254.0.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["192.0.2.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "reserved"],
    ["fec0::1", "reserved"],
    // IPv4-mapped: judged as the IPv4 address it maps.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["::ffff:10.1.2.3", "private"],
    // IPv4-compatible, NAT64, 6to4, Teredo: refused whole.
    ["::7f00:1", "IPv4-embedding"],
    ["::127.0.0.1", "IPv4-embedding"],
    ["64:ff9b::a9fe:a9fe", "IPv4-embedding"],
    ["2002:7f00:1::", "IPv4-embedding"],
    ["2001:0:4136:e378::1", "IPv4-embedding"],
    ["not-an-ip", "reserved"],
  ])("%s is %s", (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "20.50.2.1",
    "172.32.0.1",
    "100.128.0.1",
    "::ffff:8.8.8.8",
    "2606:4700::1111",
  ])("%s is a public address", (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
  });
});

describe("isLocalName", () => {
  it.each([
    "localhost",
    "LOCALHOST.",
    "a.localhost",
    "printer.local",
    "metadata.google.internal",
    "nas.home.arpa",
    "box.localdomain",
    "intranet",
  ])("%s is local", (name) => {
    expect(isLocalName(name)).toBe(true);
  });
  it.each(["hooks.contoso.com", "127.0.0.1.nip.io", "localhost.contoso.com", "internal.contoso.com"])(
    "%s is not local",
    (name) => {
      expect(isLocalName(name)).toBe(false);
    },
  );
});

describe("CallbackTargetPolicy.refuseUrl", () => {
  const strict = new CallbackTargetPolicy();
  it.each([
    ["https://127.0.0.1/hook", /127\.0\.0\.1 is a loopback address/],
    // WHATWG URL normalises numeric hosts to dotted quads before anything looks at them.
    ["https://2130706433/hook", /127\.0\.0\.1 is a loopback/],
    ["https://0x7f.1/hook", /127\.0\.0\.1 is a loopback/],
    ["https://017700000001/hook", /127\.0\.0\.1 is a loopback/],
    ["https://169.254.169.254/metadata/instance", /cloud metadata/],
    ["https://168.63.129.16/", /cloud metadata/],
    ["https://[::1]/hook", /::1 is a loopback/],
    ["https://[::ffff:127.0.0.1]/hook", /loopback/],
    ["https://[::127.0.0.1]/hook", /IPv4-embedding/],
    ["https://[fe80::1]/hook", /link-local/],
    ["https://[fd00::1]/hook", /unique-local/],
    ["https://10.0.0.5/hook", /private/],
    ["https://100.64.1.1/hook", /CGNAT/],
    ["https://0.0.0.0/hook", /unspecified/],
    ["https://localhost/hook", /localhost is a local name/],
    ["https://api.localhost/hook", /local name/],
    ["https://hooks.contoso.com:8443/hook", /port 8443 is not allowed/],
    ["https://hooks.contoso.com:80/hook", /port 80/],
  ])("refuses %s", (url, reason) => {
    expect(strict.refuseUrl(new URL(url))).toMatch(reason);
  });

  it.each([
    "https://hooks.contoso.com/hook",
    "https://hooks.contoso.com:443/hook",
    "https://8.8.8.8/x",
    "https://127.0.0.1.nip.io/hook",
  ])("lets %s through (its addresses are checked at delivery)", (url) => {
    expect(strict.refuseUrl(new URL(url))).toBeUndefined();
  });

  it("lets allow-listed hosts, domains and networks through on any port", () => {
    const { allowList } = parseCallbackAllowList("receiver.corp, *.hooks.corp 10.1.0.0/16, ::1");
    const policy = new CallbackTargetPolicy(allowList);
    expect(policy.refuseUrl(new URL("https://receiver.corp:8443/x"))).toBeUndefined();
    expect(policy.refuseUrl(new URL("https://a.hooks.corp/x"))).toBeUndefined();
    expect(policy.refuseUrl(new URL("https://10.1.2.3:9000/x"))).toBeUndefined();
    expect(policy.refuseUrl(new URL("https://[::1]:7000/x"))).toBeUndefined();
    expect(policy.refuseUrl(new URL("https://10.2.0.1/x"))).toMatch(/private/);
    // `*.hooks.corp` covers names below it, not hooks.corp itself.
    expect(policy.refuseUrl(new URL("https://hooks.corp:8443/x"))).toMatch(/port 8443/);
    expect(policy.refuseUrl(new URL("https://127.0.0.1/x"))).toMatch(/loopback/);
  });
});

describe("CallbackTargetPolicy.refuseAddresses", () => {
  const v4 = (address: string) => ({ address, family: 4 });
  const v6 = (address: string) => ({ address, family: 6 });

  it("refuses a public name that resolves to a private address", () => {
    expect(new CallbackTargetPolicy().refuseAddresses("hooks.contoso.com", [v4("10.0.0.7")])).toBe(
      "hooks.contoso.com resolves to 10.0.0.7, a private address",
    );
  });

  it("refuses when any one of the answers is blocked (a rebinding answer mixes them)", () => {
    expect(
      new CallbackTargetPolicy().refuseAddresses("hooks.contoso.com", [
        v4("20.1.2.3"),
        v6("::ffff:169.254.169.254"),
      ]),
    ).toMatch(/cloud metadata/);
  });

  it("accepts public answers, and private ones only when allow-listed", () => {
    const none = new CallbackTargetPolicy();
    expect(none.refuseAddresses("hooks.contoso.com", [v4("20.1.2.3"), v6("2606:4700::1")])).toBeUndefined();
    const { allowList } = parseCallbackAllowList("10.0.0.0/8,receiver.corp");
    const policy = new CallbackTargetPolicy(allowList);
    expect(policy.refuseAddresses("hooks.contoso.com", [v4("10.0.0.7")])).toBeUndefined();
    expect(policy.refuseAddresses("hooks.contoso.com", [v4("127.0.0.1")])).toMatch(/loopback/);
    expect(policy.refuseAddresses("receiver.corp", [v4("127.0.0.1")])).toBeUndefined();
  });

  it("refuses an empty answer", () => {
    expect(new CallbackTargetPolicy().refuseAddresses("x.example", [])).toMatch(/no address/);
  });
});

describe("parseCallbackAllowList", () => {
  it("sorts names, domains and networks, normalising case, brackets and trailing dots", () => {
    expect(
      parseCallbackAllowList(" Receiver.Corp. ,*.Hooks.corp [::1] 10.0.0.0/8 192.168.1.5").allowList,
    ).toEqual({
      hosts: ["receiver.corp"],
      domains: ["hooks.corp"],
      networks: ["::1/128", "10.0.0.0/8", "192.168.1.5/32"],
    });
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0", "*.", "http://x", "a_b.corp", "*"])(
    "refuses %s",
    (entry) => {
      expect(parseCallbackAllowList(entry).problems).toEqual([expect.stringContaining(`"${entry}"`)]);
    },
  );
});
