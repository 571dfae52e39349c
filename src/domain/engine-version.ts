import type { AwsEngine } from './spec.js';

/**
 * Engine versions as RDS spells them: `8.4` or `8.0.40` (MySQL), `11.4` (MariaDB), `17` or `17.5`
 * (PostgreSQL), `8.0.mysql_aurora.3.08.2` (Aurora MySQL), `17.5` (Aurora PostgreSQL).
 */

/**
 * The major version: what RDS upgrades only with `allow_major_version_upgrade`. MySQL and MariaDB count
 * the first two numbers (8.0 → 8.4 is major), PostgreSQL the first (16 → 17); Aurora MySQL follows the
 * MySQL release it is compatible with (3.04 → 3.08 within 8.0 is minor).
 */
export function majorVersion(engine: AwsEngine, version: string): string {
  const parts = version.split('.');
  if (engine === 'postgres' || engine === 'aurora-postgresql') return parts[0] ?? version;
  return parts.slice(0, 2).join('.');
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`; numbers compare as numbers. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(/[._-]/);
  const right = b.split(/[._-]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    const order = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return 0;
}

export type VersionMove = 'same' | 'minor-upgrade' | 'major-upgrade' | 'downgrade';

export function versionMove(engine: AwsEngine, from: string, to: string): VersionMove {
  const order = compareVersions(to, from);
  if (order === 0) return 'same';
  if (order < 0) return 'downgrade';
  return majorVersion(engine, from) === majorVersion(engine, to) ? 'minor-upgrade' : 'major-upgrade';
}
