import { localPullPath } from '../src/render/pull-address.js';
import { type Api, ApiError, type PullRequestDetail } from './api.js';
import { byId, h, show, timeElement } from './dom.js';
import { diffSection, pullRequestBody, serviceComments } from './pull-parts.js';

/**
 * The local git host's pull requests, reviewed in the page. A pull request's URL is this page's address
 * for it (`/#/pulls/7`, src/render/pull-address.ts): a plain click on its link, or the address itself,
 * opens this panel, which reads the pull request with the tab's token, shows its description, the
 * service's comments (the plan CI reported) and its diff, and offers to merge or close it while it is open.
 */

/** The number of a pull request this page shows itself (at its `/#/pulls/7`), or undefined (github.com). */
export function localPullNumber(url: string): number | undefined {
  const path = localPullPath(url, document.baseURI);
  return path === undefined ? undefined : Number(path.slice(path.lastIndexOf('/') + 1));
}

type Tone = 'info' | 'error' | 'success';

export class PullPanel {
  /** Called once a merge or a close went through, or was refused because the pull request changed. */
  onChanged: () => void = () => {};
  /** Where focus goes back to when the panel closes, if the opener left the page meanwhile. */
  fallbackFocus: () => HTMLElement | undefined = () => undefined;

  private readonly dialog = byId<HTMLDialogElement>('pull-dialog');
  private readonly title = byId('pull-title');
  private readonly messageBox = byId('pull-message');
  private readonly content = byId('pull-content');
  private number = 0;
  private generation = 0;
  private acting = false;
  private opener: { element: HTMLElement; href: string; scope: HTMLElement | null } | undefined;

  constructor(private readonly api: Api) {
    byId('pull-dismiss').addEventListener('click', () => this.close());
    // Escape closes a modal dialog natively, and focus goes back to what opened it on its `close` event.
    this.dialog.addEventListener('close', () => this.restoreFocus());
    // A click on the backdrop (outside the dialog's box) closes it too.
    this.dialog.addEventListener('click', (event) => {
      if (event.target !== this.dialog) return;
      const box = this.dialog.getBoundingClientRect();
      const inside =
        event.clientX >= box.left &&
        event.clientX <= box.right &&
        event.clientY >= box.top &&
        event.clientY <= box.bottom;
      if (!inside) this.close();
    });
  }

  get isOpen(): boolean {
    return this.dialog.open;
  }

  /** Opens the panel for pull request `number`, opened from `opener`. */
  async open(number: number, opener?: HTMLElement): Promise<void> {
    this.number = number;
    if (opener) {
      this.opener = {
        element: opener,
        href: opener.getAttribute('href') ?? '',
        scope: opener.closest<HTMLElement>('[id]'),
      };
    }
    this.title.replaceChildren(h('span', { class: 'pull-kicker' }, `Pull request #${number}`));
    this.clearMessage();
    this.content.replaceChildren(h('p', { class: 'hint' }, `Loading pull request #${number}…`));
    if (!this.dialog.open) this.dialog.showModal();
    this.title.focus();
    await this.load();
  }

  /**
   * Closes the panel and gives focus back to what opened it, now: the dialog's `close` event comes a task
   * later, and until then the browser leaves focus on the body when the opener was re-rendered meanwhile.
   */
  close(): void {
    if (!this.dialog.open) return;
    this.dialog.close();
    this.restoreFocus();
  }

  /** Closes without giving focus back: the page is about to move it (sign-in). */
  dismiss(): void {
    this.opener = undefined;
    this.generation++;
    this.close();
  }

  private restoreFocus() {
    const opener = this.opener;
    this.opener = undefined;
    this.generation++;
    if (!opener) return;
    let target: HTMLElement | undefined = opener.element;
    // The status panel and the list are re-rendered after a merge: the same link, found again.
    if (!target.isConnected) {
      target = [
        ...(opener.scope?.isConnected ? opener.scope : document).querySelectorAll<HTMLElement>('a'),
      ].find((a) => a.getAttribute('href') === opener.href);
    }
    target ??= this.fallbackFocus();
    target?.focus();
  }

  private message(text: string, tone: Tone) {
    this.messageBox.className = `message message-${tone}`;
    this.messageBox.setAttribute('role', tone === 'error' ? 'alert' : 'status');
    this.messageBox.textContent = text;
    show(this.messageBox, true);
  }

  private clearMessage() {
    this.messageBox.textContent = '';
    show(this.messageBox, false);
  }

  /** Reads the pull request and shows it; false when it could not be read. */
  private async load(): Promise<boolean> {
    const generation = ++this.generation;
    const number = this.number;
    try {
      const pr = await this.api.pull(number);
      if (generation !== this.generation || !this.dialog.open) return false;
      this.render(pr);
      return true;
    } catch (error) {
      if (generation !== this.generation) return false;
      if (error instanceof ApiError && error.credentialRefused) return false; // the page asks to sign in
      const text =
        error instanceof ApiError && error.status === 404
          ? 'There is no such pull request.'
          : `The pull request could not be loaded: ${(error as Error).message}.`;
      this.content.replaceChildren();
      this.message(text, 'error');
      return false;
    }
  }

  private render(pr: PullRequestDetail) {
    // The server's answer for this pull request and this person (the policy, separation of duties).
    const { merge, close } = pr.may;
    this.title.replaceChildren(
      h('span', { class: 'pull-kicker' }, `Pull request #${pr.number}`),
      ' ',
      h('span', { class: 'pull-name' }, pr.title),
    );
    const state = h(
      'span',
      { class: `status status-${pr.state === 'open' ? 'pr_open' : pr.state}`, 'data-state': pr.state },
      pr.state,
    );
    const meta = h(
      'dl',
      { class: 'meta' },
      h('dt', {}, 'Number'),
      h('dd', {}, `#${pr.number}`),
      h('dt', {}, 'State'),
      h('dd', {}, state),
      h('dt', {}, 'Branch'),
      h(
        'dd',
        { class: 'pull-branches' },
        h('code', {}, pr.branch),
        h('span', { 'aria-hidden': 'true' }, ' → '),
        h('span', { class: 'visually-hidden' }, ' into '),
        h('code', {}, pr.base),
      ),
      pr.request_id ? h('dt', {}, 'Request') : null,
      pr.request_id ? h('dd', {}, h('code', {}, pr.request_id)) : null,
      h('dt', {}, 'Opened'),
      h('dd', {}, timeElement(pr.created_at)),
      pr.merge_commit ? h('dt', {}, 'Merge commit') : null,
      pr.merge_commit ? h('dd', {}, h('code', {}, pr.merge_commit.slice(0, 12))) : null,
    );

    // The pull request's own actions, in a box of their own: "Close pull request" is not "Close panel".
    const review =
      pr.state === 'open'
        ? h(
            'section',
            { class: 'pull-review', 'aria-labelledby': 'pull-review-title' },
            h('h3', { id: 'pull-review-title' }, 'Review'),
            h(
              'p',
              { class: 'hint' },
              'Merging applies the plan to the environment; closing without merging creates nothing.',
            ),
            h(
              'div',
              { class: 'actions pull-actions' },
              merge.allowed ? this.actionButton(pr, 'merge', 'Merge pull request', 'button-primary') : null,
              close.allowed ? this.actionButton(pr, 'close', 'Close pull request', 'button-secondary') : null,
            ),
            notAllowed(merge, close),
          )
        : null;

    this.content.replaceChildren(
      meta,
      review ?? '',
      h('h3', {}, 'Description'),
      pullRequestBody(pr.body, 'pull-body'),
      ...serviceComments(pr.comments, 'pull-comments'),
      ...diffSection(pr.diff, { title: 'pull-diff-title', hint: 'pull-diff-hint', pre: 'pull-diff' }),
    );
  }

  private actionButton(pr: PullRequestDetail, action: 'merge' | 'close', label: string, style: string) {
    const button = h(
      'button',
      { type: 'button', class: style, 'data-action': action },
      label,
      h('span', { class: 'visually-hidden' }, ` #${pr.number}`),
    );
    button.addEventListener('click', () => void this.act(action, button));
    return button;
  }

  private async act(action: 'merge' | 'close', button: HTMLButtonElement) {
    if (this.acting) return;
    this.acting = true;
    const buttons = [...this.content.querySelectorAll<HTMLButtonElement>('.pull-actions button')];
    for (const b of buttons) b.setAttribute('aria-disabled', 'true');
    button.setAttribute('aria-busy', 'true');
    this.message(action === 'merge' ? 'Merging…' : 'Closing…', 'info');
    const number = this.number;
    try {
      const pr = await this.api.pullAction(number, action);
      if (number !== this.number || !this.dialog.open) return;
      await this.load();
      this.message(
        action === 'merge'
          ? `Pull request #${pr.number} merged into ${pr.base}.`
          : `Pull request #${pr.number} closed without merging.`,
        'success',
      );
      this.onChanged();
    } catch (error) {
      if (error instanceof ApiError && error.credentialRefused) return;
      if (number !== this.number || !this.dialog.open) return;
      const verb = action === 'merge' ? 'merged' : 'closed';
      const reason =
        error instanceof ApiError && error.body.error === 'merge_conflict'
          ? `it conflicts with its base branch (${error.message}). Resolve the conflict on the branch, then merge again`
          : (error as Error).message;
      // Someone else may have merged or closed it meanwhile: show what it is now, with the reason.
      if (error instanceof ApiError && error.status === 409) await this.load();
      this.message(`The pull request could not be ${verb}: ${reason}.`, 'error');
      if (error instanceof ApiError && error.status === 409) this.onChanged();
    } finally {
      this.acting = false;
      for (const b of buttons) {
        b.removeAttribute('aria-disabled');
        b.removeAttribute('aria-busy');
      }
      // The buttons go once the pull request is no longer open: focus moves to what happened.
      if (this.dialog.open && !button.isConnected) {
        this.messageBox.setAttribute('tabindex', '-1');
        this.messageBox.focus();
      }
    }
  }
}

type Decision = PullRequestDetail['may']['merge'];

/** Why Merge or Close is not offered, in the policy's words; nothing when both are. */
function notAllowed(merge: Decision, close: Decision): HTMLElement | null {
  const reasons = [
    merge.allowed ? null : `You may not merge it: ${merge.reason}.`,
    close.allowed ? null : `You may not close it: ${close.reason}.`,
  ].filter((reason) => reason !== null);
  if (reasons.length === 0) return null;
  return h('p', { id: 'pull-not-allowed', class: 'hint' }, reasons.join(' '));
}
