/**
 * A branch name git takes: `git check-ref-format --branch` rules for `refs/heads/<name>`. Every git host
 * refuses a name that breaks them before it touches a ref.
 */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git forbids
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}
