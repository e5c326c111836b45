import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "5m", "1h", "2d" → seconds. */
export function parseDuration(value: string): number {
  const match = /^([0-9]+)([smhd])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`"${value}" is not a duration such as 90s, 5m, 1h or 2d.`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

export function parseCount(value: string): number {
  if (!/^[0-9]+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not a non-negative integer.`);
  return Number(value);
}

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative number.`);
  return n;
}
