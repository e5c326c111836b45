import { z } from 'zod';

/** RFC 1123 DNS label: what deployment, tenant, node and credential names must be (≤ 63). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const dnsLabel = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit');

/** Node names may be host names (dots allowed), as operators name machines. */
export const nodeName = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a host name: lowercase letters, digits, "-" and "."');

// Docker reference grammar (distribution/reference), simplified but strict:
// [domain[:port]/]path-component(/path-component)*[:tag][@sha256:hex]
const hostLabel = String.raw`[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`;
// A first component is a registry domain only if it has a "." or a port, or is "localhost" (as Docker decides).
const domain = String.raw`(?:localhost(?::[0-9]{1,5})?|${hostLabel}(?:\.${hostLabel})+(?::[0-9]{1,5})?|${hostLabel}:[0-9]{1,5})`;
const pathComponent = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const tag = String.raw`[\w][\w.-]{0,127}`;
const digest = String.raw`sha256:[a-f0-9]{64}`;
export const IMAGE_REFERENCE = new RegExp(
  String.raw`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`,
);

export const imageReference = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(IMAGE_REFERENCE, 'must be an image reference such as "registry:5000/team/app:1.2" or "busybox:1"');
