import { linkTableId, uuidV5 } from "../../../shared/domain/linkTableId";

describe("uuidV5", () => {
  it("matches the RFC 4122 reference value for www.example.com in the DNS namespace", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });
});

describe("linkTableId", () => {
  const link = { workspace: "demo", linkConnection: "demo-link" };

  it("is the same for the same table whatever the identifier case", () => {
    expect(linkTableId(link, { schema: "dbo", name: "Orders" })).toBe(
      linkTableId({ workspace: "DEMO", linkConnection: "Demo-Link" }, { schema: "DBO", name: "orders" }),
    );
  });

  it("differs between tables, links and remediation attempts", () => {
    const ids = new Set([
      linkTableId(link, { schema: "dbo", name: "Orders" }),
      linkTableId(link, { schema: "dbo", name: "Customers" }),
      linkTableId({ ...link, linkConnection: "other-link" }, { schema: "dbo", name: "Orders" }),
      linkTableId(link, { schema: "dbo", name: "Orders" }, 1),
    ]);
    expect(ids.size).toBe(4);
  });
});
