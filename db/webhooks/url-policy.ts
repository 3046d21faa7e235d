// Which URLs a webhook may target (SSRF protection). Checked when an endpoint is created or changed, and again
// at every delivery on the addresses the name resolves to then (DNS can change after the check). Refused:
// anything but https, credentials in the URL, and every address that is not public unicast: loopback, private,
// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT (100.64/10, e.g. 100.100.100.200), unique
// local IPv6 (fd00:ec2::254), unspecified, multicast, reserved, and IPv4-mapped forms of those. The setting
// `allowPrivateTargets` (local development and tests) lifts the address and https rules.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

export interface UrlPolicy {
  allowPrivateTargets: boolean;
}

export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetRefused";
  }
}

/** Whether a connection to `address` is allowed. */
export function isAllowedAddress(address: string, policy: UrlPolicy): boolean {
  if (policy.allowPrivateTargets) return true;
  if (!ipaddr.isValid(address)) return false;
  // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  return ipaddr.process(address).range() === "unicast";
}

/** The URL's form: a parsed URL, or TargetRefused saying what is wrong. No network access. */
export function parseTargetUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused("must be an absolute URL");
  }
  const schemes = policy.allowPrivateTargets ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol))
    throw new TargetRefused(`must use ${schemes.join(" or ").replace(/:/g, "")}`);
  if (url.username || url.password) throw new TargetRefused("must not contain credentials");
  if (!url.hostname) throw new TargetRefused("must name a host");
  const host = bareHost(url);
  if (isIP(host) && !isAllowedAddress(host, policy))
    throw new TargetRefused(`targets a non-public address (${host})`);
  return url;
}

/** The hostname without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** Resolves the URL's host and refuses it when any address it resolves to is not allowed. */
export async function checkTarget(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = parseTargetUrl(raw, policy);
  const host = bareHost(url);
  if (isIP(host) || policy.allowPrivateTargets) return url;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    throw new TargetRefused(`host '${host}' does not resolve`);
  }
  const bad = addresses.find((a) => !isAllowedAddress(a.address, policy));
  if (bad) throw new TargetRefused(`host '${host}' resolves to a non-public address (${bad.address})`);
  return url;
}
