import { badRequest, notFound } from '../api/problem';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * `since` as the API takes it (a duration back from now such as 5m, or an RFC 3339 time) → an RFC 3339 time
 * for the agents. The syntax is checked by the query schema; an impossible date is still a 400 naming the field.
 */
export function resolveSince(since: string | undefined, now: Date): string | undefined {
  if (since === undefined) return undefined;
  const duration = /^(\d+)([smhd])$/.exec(since);
  const at = duration ? new Date(now.getTime() - Number(duration[1]) * UNIT_SECONDS[duration[2]] * 1000) : new Date(since);
  if (Number.isNaN(at.getTime())) throw badRequest([{ path: 'since', message: 'must be a duration like 5m or an RFC 3339 time' }]);
  return at.toISOString();
}

/**
 * The instance a filter names: a full id or a prefix matching exactly one of the deployment's instances.
 * No match is a 404 (as for any missing resource); a prefix matching several is a 400 naming the field.
 */
export function selectInstance(ids: readonly string[], filter: string): string {
  const wanted = filter.toLowerCase();
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw notFound(`instance "${filter}" not found in this deployment`);
  throw badRequest([{ path: 'instance', message: `"${filter}" matches ${matches.length} instances; give more of the id` }]);
}
