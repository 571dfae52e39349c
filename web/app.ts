import { regionOfApiUrl } from '../src/client/aws-signature.js';
import { Access } from './access.js';
import {
  Api,
  ApiError,
  type CredentialKind,
  type DryRun,
  type RequestView,
  SETTLED,
  STATUSES,
  type Status,
} from './api.js';
import { connectionDetails } from './connection-details.js';
import { costEstimate } from './cost-estimate.js';
import { readSignIn, refusalMessage, type SignInField } from './credentials.js';
import {
  announce,
  append,
  byId,
  clearMessage,
  dataCell,
  dataTable,
  h,
  message,
  refreshAges,
  scrollBehavior,
  show,
  timeElement,
} from './dom.js';
import { RequestFormView } from './form.js';
import { InventoryView } from './inventory.js';
import {
  authorizationUrl,
  finishSignIn,
  isOidcReturn,
  type OidcProvider,
  withoutOidcReturn,
} from './oidc.js';
import { planSummary } from './plan-summary.js';
import { localPullNumber, PullPanel } from './pull.js';
import { session } from './session.js';
import { STATUS_MEANING, statusBadge } from './status-text.js';

/**
 * The self-service page: sign in with the credential the service takes (an API token locally; on AWS an
 * API key, or AWS credentials every call is signed with), fill the request form the API describes, preview the
 * Terraform and its cost, submit, follow the request to its pull request and on to ready (its plan, cost
 * and connection details), and browse every request by status.
 */

/** The credential the service takes, once GET /health has said. */
let credentialKind: CredentialKind | undefined;
/** The OIDC provider the page may sign in through (GET /auth/config), with bearer tokens only. */
let provider: OidcProvider | null = null;
const signedIn = () => credentialKind !== undefined && session.credential(credentialKind) !== null;

// Routes are relative to the page, so the page works under a path prefix (an API Gateway stage).
const api = new Api({
  base: new URL('.', document.baseURI).href,
  credential: () => (credentialKind ? session.credential(credentialKind) : null),
});
const pullPanel = new PullPanel(api);

const el = {
  session: byId('session'),
  identity: byId('identity'),
  identityId: byId('identity-id'),
  identityRole: byId('identity-role'),
  identityScope: byId('identity-scope'),
  oidcOption: byId('oidc-option'),
  oidcSignIn: byId<HTMLButtonElement>('oidc-sign-in'),
  requestNotAllowed: byId('request-not-allowed'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  signIn: byId('sign-in'),
  signInTitle: byId('sign-in-title'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  signInMessage: byId('sign-in-message'),
  signInFields: byId('sign-in-fields'),
  tokenField: byId('token-field'),
  tokenLabel: byId('token-label'),
  token: byId<HTMLInputElement>('token'),
  awsFields: byId('aws-fields'),
  workspace: byId('workspace'),
  requestTitle: byId('request-title'),
  form: byId<HTMLFormElement>('request-form'),
  formLoading: byId('form-loading'),
  formErrors: byId('form-errors'),
  formFields: byId('form-fields'),
  formMessage: byId('form-message'),
  previewButton: byId<HTMLButtonElement>('preview-button'),
  submitButton: byId<HTMLButtonElement>('submit-button'),
  preview: byId('preview-section'),
  previewStale: byId('preview-stale'),
  previewMeta: byId('preview-meta'),
  previewCode: byId('preview-code'),
  previewCost: byId('preview-cost'),
  status: byId('status-section'),
  statusBody: byId('status-body'),
  filter: byId<HTMLSelectElement>('status-filter'),
  refresh: byId<HTMLButtonElement>('refresh-button'),
  listMessage: byId('list-message'),
  listBody: byId('list-body'),
  more: byId<HTMLButtonElement>('more-button'),
};

/** The databases: following a request from there shows it under Request status, as the list does. */
const inventory = new InventoryView({
  api,
  followRequest: (id) => {
    void followRequest(id);
    el.status.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
  },
  pullRequestLink,
  queued: (id) => {
    void followRequest(id);
    void loadList();
  },
});

let form: RequestFormView | undefined;
/** The request (as JSON) the preview on screen was made for; submit needs it to match the form. */
let previewedFor: string | undefined;
let busy = false;

// ---------------------------------------------------------------------------------------------- sign-in

/** The sign-in form's inputs, by id (and name): what readSignIn reads. */
const signInInputs = {
  token: el.token,
  'aws-access-key-id': byId<HTMLInputElement>('aws-access-key-id'),
  'aws-secret-access-key': byId<HTMLInputElement>('aws-secret-access-key'),
  'aws-session-token': byId<HTMLInputElement>('aws-session-token'),
  'aws-region': byId<HTMLInputElement>('aws-region'),
} satisfies Record<SignInField, HTMLInputElement>;
/** Where a call to the API goes: its region, when the page is served from the API's own address. */
const apiRegion = regionOfApiUrl(document.baseURI) ?? '';

/** The page's own address, where the OIDC provider sends the browser back with its code. */
const redirectUri = new URL('.', document.baseURI).href;

/** "Sign in with idp.example.com/realms/x": the provider's issuer without its scheme. */
const providerName = (issuer: string) => issuer.replace(/^https?:\/\//, '').replace(/\/$/, '');

/** The fields of the credential the service takes; none until it has said which. */
function showFields() {
  const withProvider = credentialKind === 'bearer' && provider !== null;
  show(el.oidcOption, withProvider);
  if (provider) el.oidcSignIn.textContent = `Sign in with ${providerName(provider.issuer)}`;
  show(el.signInFields, credentialKind !== undefined);
  show(el.tokenField, credentialKind === 'bearer' || credentialKind === 'api_key');
  show(el.awsFields, credentialKind === 'iam');
  el.tokenLabel.textContent = credentialKind === 'api_key' ? 'API key' : 'API token';
}

/** The sign-in form, emptied; with a message (a refusal) when given, the first field marked. */
function showSignIn(text?: string) {
  stopFollowing();
  inventory.stop();
  pullPanel.dismiss();
  show(el.workspace, false);
  show(el.session, false);
  showIdentity(undefined);
  show(el.signIn, true);
  showFields();
  for (const input of Object.values(signInInputs)) input.value = '';
  signInInputs['aws-region'].value = apiRegion;
  const first = credentialKind === 'iam' ? 'aws-access-key-id' : 'token';
  signInIssue(first, text);
}

/** Says what is wrong, beside the field it names (marked invalid and focused); none: clears it. */
function signInIssue(field: SignInField, text: string | undefined) {
  for (const [name, input] of Object.entries(signInInputs)) {
    const hint = input.getAttribute('aria-describedby')?.replace('sign-in-message', '').trim();
    const invalid = text !== undefined && name === field;
    if (invalid) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    const describedBy = [invalid ? 'sign-in-message' : '', hint ?? ''].filter(Boolean).join(' ');
    if (describedBy) input.setAttribute('aria-describedby', describedBy);
    else input.removeAttribute('aria-describedby');
  }
  el.signInMessage.textContent = text ?? '';
  show(el.signInMessage, text !== undefined);
  signInInputs[field].focus();
}

let signingIn = false;

api.onUnauthorized = (error) => {
  // Calls sent together are refused together: the first refusal signs out and says why, once.
  if (!signedIn()) return;
  const viaProvider = session.viaProvider();
  session.signOut();
  showSignIn(
    viaProvider
      ? signingIn
        ? 'The service did not accept the sign-in from your provider. Try again, or sign in with a personal token.'
        : 'Your sign-in has expired or is not accepted any more. Sign in again to go on.'
      : refusalMessage(credentialKind ?? 'bearer', error.body.message ?? '', signingIn),
  );
};

el.oidcSignIn.addEventListener('click', async () => {
  if (!provider) return;
  el.oidcSignIn.setAttribute('aria-busy', 'true');
  window.location.assign(await authorizationUrl(provider, redirectUri));
});

/** Back from the provider: the code is exchanged, and taken out of the address whatever the outcome. */
async function finishProviderSignIn(oidc: OidcProvider) {
  const here = new URL(window.location.href);
  window.history.replaceState(null, '', withoutOidcReturn(here));
  const outcome = await finishSignIn(oidc, here);
  if (!outcome.ok) {
    session.signOut();
    showSignIn(outcome.message);
    return;
  }
  session.signIn({ kind: 'bearer', token: outcome.token }, true);
  signingIn = true;
  try {
    await enterWorkspace(true);
  } finally {
    signingIn = false;
  }
}

/** Who is signed in, in the header: their id, role and the environments it holds in. */
function showIdentity(current: Access | undefined) {
  show(el.identity, current !== undefined);
  if (!current) return;
  const { id, role, scope } = current.describe();
  el.identityId.textContent = id;
  el.identityRole.textContent = role;
  el.identityScope.textContent = scope;
}

el.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!credentialKind) return;
  const values = Object.fromEntries(
    Object.entries(signInInputs).map(([name, input]) => [name, input.value]),
  ) as Record<SignInField, string>;
  const read = readSignIn(credentialKind, values);
  if (!('credential' in read)) {
    signInIssue(read.field, read.message);
    return;
  }
  // The last refusal goes while this attempt is sent; a new one is announced afresh.
  show(el.signInMessage, false);
  session.signIn(read.credential);
  signingIn = true;
  try {
    await enterWorkspace(true);
  } finally {
    signingIn = false;
  }
});

el.signOut.addEventListener('click', () => {
  session.signOut();
  showIdentity(undefined);
  form = undefined;
  previewedFor = undefined;
  showSignIn();
  announce('Signed out.');
});

async function enterWorkspace(focus: boolean) {
  el.formLoading.textContent = 'Loading the form…';
  show(el.formLoading, true);
  let spec: Awaited<ReturnType<Api['requestForm']>>;
  let who: Access;
  try {
    [spec, who] = await Promise.all([api.requestForm(), api.whoami().then((answer) => new Access(answer))]);
  } catch (error) {
    if (error instanceof ApiError && error.credentialRefused) return;
    // Known but given no role by the policy: every route answers 403, so nothing here is of use.
    if (error instanceof ApiError && error.status === 403) {
      session.signOut();
      showSignIn(`Signed in, but the service lets you do nothing: ${error.message}.`);
      return;
    }
    show(el.signIn, false);
    show(el.workspace, true);
    show(el.session, true);
    el.formLoading.textContent = `The form could not be loaded: ${(error as Error).message}.`;
    return;
  }
  show(el.signIn, false);
  show(el.signInMessage, false);
  show(el.workspace, true);
  show(el.session, true);
  show(el.formLoading, false);
  el.form.removeAttribute('aria-describedby');
  hidePreview();
  stopFollowing();
  show(el.status, false);
  showIdentity(who);
  // The form offers only the environments the person may request in; none: no form at all.
  const requestable = who.requestForm(spec);
  show(el.form, requestable !== null);
  show(el.requestNotAllowed, requestable === null);
  el.requestNotAllowed.textContent = `As ${who.who.role}, you may not ask for a database in any environment; you may follow requests and databases below.`;
  form = requestable ? new RequestFormView(el.formFields, requestable) : undefined;
  if (form) {
    form.onChange = markPreviewStale;
    form.render();
  }
  clearMessage(el.formMessage);
  el.formErrors.hidden = true;
  if (focus) {
    el.requestTitle.setAttribute('tabindex', '-1');
    el.requestTitle.focus();
    announce('Signed in.');
  }
  void loadList();
  inventory.start(spec, who);
  openPullFromAddress();
}

/** The pull request the page's address names (`/#/pulls/7`, the CLI prints it), opened once signed in. */
function openPullFromAddress() {
  const number = localPullNumber(window.location.href);
  if (!number || !signedIn() || el.workspace.hidden) return;
  // Opened by no link: closing it gives focus to the page's heading.
  el.requestTitle.setAttribute('tabindex', '-1');
  void pullPanel.open(number, el.requestTitle);
}

window.addEventListener('hashchange', openPullFromAddress);
// Closed, the panel leaves the page's own address, so a reload does not open it again.
byId('pull-dialog').addEventListener('close', () => {
  if (localPullNumber(window.location.href))
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
});

// ------------------------------------------------------------------------------------ preview and submit

const currentKey = () => (form ? JSON.stringify(form.values()) : '');

function markPreviewStale() {
  show(el.previewStale, previewedFor !== undefined && previewedFor !== currentKey());
}

function showPreview(result: DryRun) {
  el.previewMeta.replaceChildren(
    h('dt', {}, 'File'),
    h('dd', {}, h('code', {}, result.file_path)),
    h('dt', {}, 'Branch'),
    h('dd', {}, h('code', {}, result.branch), ' into ', h('code', {}, result.base)),
    h('dt', {}, 'Pull request'),
    h('dd', {}, result.pull_request.title),
  );
  el.previewCode.textContent = result.content;
  el.previewCost.replaceChildren(costEstimate(result.cost, 'preview-cost-estimate', 'h3'));
  show(el.previewStale, false);
  show(el.preview, true);
}

function hidePreview() {
  previewedFor = undefined;
  show(el.preview, false);
}

function setBusy(on: boolean, button?: HTMLButtonElement) {
  busy = on;
  for (const b of [el.previewButton, el.submitButton]) {
    b.setAttribute('aria-disabled', String(on));
    b.removeAttribute('aria-busy');
  }
  if (on && button) button.setAttribute('aria-busy', 'true');
}

/** Shows what the API said about a request it refused: beside the fields when it names them. */
function showRefusal(error: unknown): void {
  if (!form) return;
  if (!(error instanceof ApiError)) {
    message(el.formMessage, `Something went wrong: ${String(error)}`, 'error');
    return;
  }
  if (error.credentialRefused) return;
  if (error.status === 400 && error.issues.length) {
    form.showIssues(error.issues, el.formErrors);
    return;
  }
  if (error.status === 409) {
    const id = error.body.request_id;
    form.showIssues(
      [{ path: 'db_name', message: error.body.message ?? 'a request for this database exists' }],
      el.formErrors,
    );
    if (id) {
      const follow = h('button', { type: 'button', class: 'button-link' }, 'Follow that request');
      follow.addEventListener('click', () => followRequest(id));
      message(
        el.formMessage,
        'A request for this database is in flight or already merged. ',
        'error',
        follow,
      );
    }
    return;
  }
  message(el.formMessage, `The request could not be sent: ${error.message}.`, 'error');
}

async function runPreview(): Promise<boolean> {
  if (!form) return false;
  const request = form.values();
  const key = JSON.stringify(request);
  form.clearIssues(el.formErrors);
  clearMessage(el.formMessage);
  try {
    const result = await api.preview(request);
    previewedFor = key;
    showPreview(result);
    return true;
  } catch (error) {
    hidePreview();
    showRefusal(error);
    return false;
  }
}

el.previewButton.addEventListener('click', async () => {
  if (busy) return;
  setBusy(true, el.previewButton);
  try {
    if (await runPreview()) {
      announce(`Terraform preview ready below: ${el.previewMeta.querySelector('code')?.textContent ?? ''}.`);
      el.preview.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
    }
  } finally {
    setBusy(false);
  }
});

el.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy || !form) return;
  setBusy(true, el.submitButton);
  try {
    // Nothing is sent without its preview on screen: a first Submit shows the Terraform, a second sends it.
    if (previewedFor !== currentKey()) {
      if (await runPreview()) {
        message(
          el.formMessage,
          'Check the Terraform preview below, then select Submit request again to send it.',
          'info',
        );
        el.preview.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
      }
      return;
    }
    const request = form.values();
    form.clearIssues(el.formErrors);
    clearMessage(el.formMessage);
    try {
      const accepted = await api.provision(request);
      previewedFor = undefined;
      message(
        el.formMessage,
        `Request ${accepted.request_id} sent. Its status is followed under Request status.`,
        'success',
      );
      void followRequest(accepted.request_id);
      void loadList();
    } catch (error) {
      showRefusal(error);
    }
  } finally {
    setBusy(false);
  }
});

// ------------------------------------------------------------------------------------ following a request

let followed: string | undefined;
let pollTimer: number | undefined;
/** One polling chain at a time: a refresh starts a new one and the old one stops at its next turn. */
let pollRun = 0;
let shownKey = '';
let statusLive: HTMLElement | undefined;
let statusDetails: HTMLElement | undefined;

function stopFollowing() {
  followed = undefined;
  pollRun++;
  if (pollTimer !== undefined) window.clearTimeout(pollTimer);
  pollTimer = undefined;
}

/** Reads the followed request again now, and polls on from there while it is not finished. */
function refreshFollowed() {
  if (!followed) return;
  if (pollTimer !== undefined) window.clearTimeout(pollTimer);
  pollTimer = undefined;
  void poll(followed, ++pollRun);
}

async function followRequest(id: string) {
  stopFollowing();
  followed = id;
  shownKey = '';
  // Built once: a live region announces changes only if it stays in the page.
  statusLive = h('div', {
    id: 'status-live',
    class: 'status-live',
    'aria-live': 'polite',
    'aria-atomic': 'true',
  });
  statusDetails = h('div', { id: 'status-details' });
  el.statusBody.replaceChildren(statusLive, statusDetails);
  statusLive.append(h('p', {}, 'Loading the request…'));
  show(el.status, true);
  await poll(id, pollRun);
}

async function poll(id: string, run: number) {
  if (followed !== id || run !== pollRun) return;
  let delay = 1000;
  try {
    const view = await api.get(id);
    if (followed !== id || run !== pollRun) return;
    let changed = false;
    keepingFocus(el.statusBody, () => {
      changed = renderStatus(view);
    });
    if (changed) {
      void loadList();
      void inventory.refresh();
    }
    if (SETTLED.includes(view.status)) return;
    delay = pollDelay(view.status);
  } catch (error) {
    if (error instanceof ApiError && error.credentialRefused) return;
    // No such request, or an id refused before sending ('..'): asking again would change nothing.
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      statusLive?.replaceChildren(h('p', { class: 'message message-error' }, `No request ${id}.`));
      return;
    }
    delay = 3000;
  }
  if (followed !== id || run !== pollRun) return;
  pollTimer = window.setTimeout(() => void poll(id, run), delay);
}

/**
 * Quick while the worker is busy; slower once the pull request waits for review; slower still once merged,
 * while the pipeline applies (and where none reports, the request rests at merged).
 */
function pollDelay(status: Status): number {
  if (status === 'queued' || status === 'processing') return 1000;
  return status === 'pr_open' ? 5000 : 10_000;
}

/** Re-renders part of the page; a link that had focus there keeps it, in its new copy. */
function keepingFocus(container: HTMLElement, render: () => void) {
  const active = document.activeElement;
  const href =
    active instanceof HTMLAnchorElement && container.contains(active) ? active.getAttribute('href') : null;
  render();
  if (href === null || active?.isConnected) return;
  const again = [...container.querySelectorAll<HTMLAnchorElement>('a')].find(
    (a) => a.getAttribute('href') === href,
  );
  again?.focus();
}

/**
 * The pull request's link, to its real URL. One on the local git host (this page's `/#/pulls/7`) opens the
 * pull request panel on a plain click; any other (github.com) opens in a new tab.
 */
function pullRequestLink(view: RequestView, long: boolean) {
  const pr = view.pull_request;
  if (!pr?.url) return undefined;
  const local = localPullNumber(pr.url);
  const link = h(
    'a',
    local
      ? { href: pr.url, class: 'pr-link', 'aria-haspopup': 'dialog', 'data-pull': pr.number }
      : { href: pr.url, class: 'pr-link', target: '_blank', rel: 'noopener noreferrer' },
    long ? `Pull request #${pr.number}` : `#${pr.number}`,
    long
      ? ''
      : h('span', { class: 'visually-hidden' }, ` pull request for ${view.db_name ?? view.request_id}`),
    local ? '' : h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'),
  );
  if (local) {
    link.addEventListener('click', (event) => {
      // A modified click (new tab, new window, download) keeps the browser's own behaviour.
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      void pullPanel.open(local, link);
    });
  }
  return link;
}

pullPanel.onChanged = () => {
  refreshFollowed();
  void loadList();
  void inventory.refresh();
};
pullPanel.fallbackFocus = () => {
  const heading = el.status.hidden ? byId('list-title') : byId('status-title');
  heading.setAttribute('tabindex', '-1');
  return heading;
};

/** Renders the followed request; true when something changed since the last time. */
function renderStatus(view: RequestView): boolean {
  const key = JSON.stringify(view);
  if (key === shownKey || !statusLive || !statusDetails) return false;
  shownKey = key;
  const dbName = view.db_name ?? String(view.request.db_name ?? '');
  const link = pullRequestLink(view, true);
  statusLive.replaceChildren();
  append(
    statusLive,
    h('p', { class: 'status-line' }, `${dbName}: status `, statusBadge(view.status)),
    h('p', { class: 'status-meaning hint' }, STATUS_MEANING[view.status]),
    link
      ? h('p', { class: 'status-pr' }, link, ' on branch ', h('code', {}, view.pull_request?.branch ?? ''))
      : null,
    view.failure_reason
      ? h(
          'p',
          { class: 'message message-error', id: 'status-failure' },
          `${view.status === 'apply_failed' ? 'The apply failed' : 'Failed'}: ${view.failure_reason}`,
        )
      : null,
  );
  const environment = view.environment ?? String(view.request.environment ?? '');
  statusDetails.replaceChildren();
  append(
    statusDetails,
    h(
      'dl',
      { class: 'meta' },
      h('dt', {}, 'Request'),
      h('dd', {}, h('code', {}, view.request_id)),
      h('dt', {}, 'Environment'),
      h('dd', {}, environment),
      h('dt', {}, 'Requested by'),
      h('dd', {}, view.requester),
      h('dt', {}, 'Created'),
      h('dd', {}, timeElement(view.created_at)),
      view.merge_commit ? h('dt', {}, 'Merge commit') : null,
      view.merge_commit ? h('dd', {}, h('code', { id: 'status-merge-commit' }, view.merge_commit)) : null,
    ),
    view.connection ? connectionDetails(view.connection, 'status-connection', 'h3') : null,
    view.cost ? costEstimate(view.cost, 'status-cost', 'h3') : null,
    view.plan ? planSummary(view.plan, 'status-plan', 'h3') : null,
    h('h3', {}, 'History'),
    h(
      'ol',
      { class: 'history' },
      ...view.history.map((entry) =>
        h(
          'li',
          {},
          timeElement(entry.at),
          ' ',
          statusBadge(entry.status),
          entry.detail ? ` ${entry.detail}` : '',
        ),
      ),
    ),
  );
  return true;
}

// ------------------------------------------------------------------------------------------ the list

for (const value of ['', ...STATUSES]) {
  el.filter.appendChild(h('option', { value }, value || 'All statuses'));
}

let nextCursor: string | null = null;
let listGeneration = 0;

async function loadList(append = false) {
  const generation = ++listGeneration;
  el.refresh.setAttribute('aria-busy', 'true');
  try {
    const page = await api.list({
      status: STATUSES.find((status) => status === el.filter.value),
      cursor: append ? (nextCursor ?? undefined) : undefined,
    });
    if (generation !== listGeneration) return;
    clearMessage(el.listMessage);
    nextCursor = page.next_cursor;
    show(el.more, Boolean(nextCursor));
    keepingFocus(el.listBody, () => renderList(page.requests, append));
  } catch (error) {
    if (generation !== listGeneration) return;
    if (error instanceof ApiError && error.credentialRefused) return;
    message(el.listMessage, `The list could not be loaded: ${(error as Error).message}.`, 'error');
  } finally {
    if (generation === listGeneration) el.refresh.removeAttribute('aria-busy');
  }
}

function renderList(requests: RequestView[], append: boolean) {
  let tbody = el.listBody.querySelector('tbody');
  if (!append || !tbody) {
    if (requests.length === 0) {
      const filter = el.filter.value;
      el.listBody.replaceChildren(
        h('p', { class: 'empty' }, filter ? `No requests with status ${filter}.` : 'No requests yet.'),
      );
      return;
    }
    tbody = h('tbody', { role: 'rowgroup' });
    const headers = ['Database', 'Status', 'Environment', 'Requester', 'Age', 'Pull request'];
    el.listBody.replaceChildren(dataTable({}, 'Requests, newest first', headers, tbody));
  }
  for (const view of requests) {
    const dbName = view.db_name ?? String(view.request.db_name ?? '');
    const followButton = h(
      'button',
      { type: 'button', class: 'button-link' },
      dbName,
      h('span', { class: 'visually-hidden' }, ': show its status'),
    );
    followButton.addEventListener('click', () => {
      void followRequest(view.request_id);
      el.status.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
    });
    tbody.appendChild(
      h(
        'tr',
        { 'data-request-id': view.request_id, 'data-status': view.status, role: 'row' },
        h('th', { scope: 'row', 'data-label': 'Database', role: 'rowheader' }, followButton),
        dataCell('Status', statusBadge(view.status)),
        dataCell('Environment', view.environment ?? String(view.request.environment ?? '')),
        dataCell('Requester', view.requester),
        dataCell('Age', timeElement(view.created_at)),
        dataCell('Pull request', pullRequestLink(view, false) ?? h('span', { class: 'muted' }, 'none yet')),
      ),
    );
  }
}

el.filter.addEventListener('change', () => void loadList());
el.refresh.addEventListener('click', () => {
  void loadList().then(() => announce('Requests refreshed.'));
});
el.more.addEventListener('click', () => void loadList(true));
window.setInterval(() => refreshAges(), 30_000);

// ------------------------------------------------------------------------------------------ start

/** Asks the service which credential it takes, then enters with the tab's, or asks for one. */
async function start() {
  try {
    credentialKind = await api.credentialKind();
    // A provider that cannot be reached now leaves personal tokens, which need no provider.
    if (credentialKind === 'bearer')
      provider = await api.authConfig().then(
        (config) => config.oidc,
        () => null,
      );
  } catch (error) {
    show(el.signIn, true);
    showFields();
    el.signInMessage.textContent = `The service could not be reached to sign in: ${(error as Error).message}. Reload the page to try again.`;
    show(el.signInMessage, true);
    return;
  }
  if (provider && isOidcReturn(new URL(window.location.href))) void finishProviderSignIn(provider);
  else if (signedIn()) void enterWorkspace(false);
  else showSignIn();
}

void start();
