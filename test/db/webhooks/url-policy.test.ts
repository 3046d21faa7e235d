import { describe, expect, it } from "vitest";
import {
  checkTarget,
  isAllowedAddress,
  parseTargetUrl,
  TargetRefused,
} from "../../../db/webhooks/url-policy.ts";

const strict = { allowPrivateTargets: false };
const dev = { allowPrivateTargets: true };

describe("webhook target addresses", () => {
  const refused = [
    ["loopback", "127.0.0.1"],
    ["loopback (other)", "127.8.9.10"],
    ["private 10/8", "10.0.0.1"],
    ["private 172.16/12", "172.31.255.255"],
    ["private 192.168/16", "192.168.1.1"],
    ["link-local (cloud metadata)", "169.254.169.254"],
    ["carrier-grade NAT (Alibaba metadata)", "100.100.100.200"],
    ["unspecified", "0.0.0.0"],
    ["broadcast", "255.255.255.255"],
    ["multicast", "224.0.0.1"],
    ["IPv6 loopback", "::1"],
    ["IPv6 unspecified", "::"],
    ["IPv6 link-local", "fe80::1"],
    ["IPv6 unique local (AWS metadata)", "fd00:ec2::254"],
    ["IPv4-mapped loopback", "::ffff:127.0.0.1"],
    ["IPv4-mapped metadata", "::ffff:169.254.169.254"],
    ["not an address", "example.com"],
  ] as const;
  for (const [what, address] of refused) {
    it(`refuses ${what} (${address})`, () => {
      expect(isAllowedAddress(address, strict)).toBe(false);
    });
  }

  it("allows public unicast addresses", () => {
    for (const a of ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect([a, isAllowedAddress(a, strict)]).toEqual([a, true]);
  });

  it("allows everything when private targets are allowed (development)", () => {
    expect(isAllowedAddress("127.0.0.1", dev)).toBe(true);
  });
});

describe("webhook target URLs", () => {
  it("must be https with no credentials", () => {
    expect(() => parseTargetUrl("http://93.184.215.14/", strict)).toThrow(/must use https/);
    expect(() => parseTargetUrl("ftp://93.184.215.14/", dev)).toThrow(/must use https or http/);
    expect(() => parseTargetUrl("https://a:b@93.184.215.14/", strict)).toThrow(/credentials/);
    expect(() => parseTargetUrl("/relative", strict)).toThrow(/absolute URL/);
    expect(parseTargetUrl("https://93.184.215.14/x", strict).toString()).toBe("https://93.184.215.14/x");
    expect(parseTargetUrl("http://127.0.0.1:8080/x", dev).port).toBe("8080");
  });

  it("refuses literal non-public addresses, also written in other forms", async () => {
    for (const url of ["https://[::1]/", "https://0x7f000001/", "https://2130706433/", "https://127.1/"]) {
      await expect(checkTarget(url, strict)).rejects.toBeInstanceOf(TargetRefused);
    }
  });

  it("resolves names and refuses one that resolves to a non-public address", async () => {
    await expect(checkTarget("https://localhost/", strict)).rejects.toThrow(
      /resolves to a non-public address/,
    );
    await expect(checkTarget("https://no-such-host.invalid/", strict)).rejects.toThrow(/does not resolve/);
  });
});
