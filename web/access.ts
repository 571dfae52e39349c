import type { RequestForm, Whoami } from './api.js';

/**
 * What the signed-in person may do, as GET /whoami says (the server's domain decides; the page only
 * reads its answer): the page offers a button only where it is allowed. The server still judges every
 * call, and a 403 it answers is shown as it comes.
 */

type EnvironmentAction = keyof Whoami['capabilities']['environments'][string];

export class Access {
  constructor(readonly who: Whoami) {}

  /** Whether the person may do `action` in `environment` (merge: on someone else's request). */
  may(action: EnvironmentAction, environment: string | null | undefined): boolean {
    if (!environment) return false;
    return this.who.capabilities.environments[environment]?.[action] === true;
  }

  /** The environments the person may ask for a database in, in the form's order. */
  requestable(spec: RequestForm): string[] {
    return Object.keys(spec.environments).filter((env) => this.may('request', env));
  }

  /**
   * The request form narrowed to the environments the person may request in (the default kept when it is
   * one of them, else the first); null when there is none.
   */
  requestForm(spec: RequestForm): RequestForm | null {
    const allowed = this.requestable(spec);
    const first = allowed[0];
    if (first === undefined) return null;
    const environments = Object.fromEntries(allowed.map((env) => [env, spec.environments[env]]));
    const defaultEnvironment = allowed.includes(spec.default_environment) ? spec.default_environment : first;
    return { ...spec, environments, default_environment: defaultEnvironment } as RequestForm;
  }

  /** "alice · approver in dev only", for the page's header. */
  describe(): { id: string; role: string; scope: string } {
    const scope =
      this.who.environments === null ? 'every environment' : `${this.who.environments.join(', ')} only`;
    return { id: this.who.id, role: this.who.role, scope };
  }
}
