const TOKEN_KEY = 'rds-provisioner.token';

/** The token lives in sessionStorage only: this tab, until it closes. Never localStorage, never the URL. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};
