import type { Status } from './api.js';
import { h } from './dom.js';

/**
 * What each status means to the person who asked, in a line: shown under the followed request's status
 * and as each badge's tooltip. A Record over every status, so a status the server adds cannot go unsaid.
 */
export const STATUS_MEANING: Record<Status, string> = {
  queued: 'Waiting for the worker to pick it up.',
  processing: 'The worker is writing the Terraform and opening the pull request.',
  pr_open: 'The pull request waits for review; CI plans it.',
  merged:
    'Merged: the pipeline applies it and reports back. Where no pipeline reports, the request rests here.',
  applying: 'The pipeline is applying the merged change.',
  ready: 'Applied: the pipeline reported a successful apply.',
  apply_failed: 'The pipeline’s apply failed (the reason is below); it may be run again.',
  closed: 'The pull request was closed without merging: nothing changed.',
  failed: 'The service could not open the pull request (the reason is below).',
};

/** A status as a coloured badge: its name as the API and the CLI spell it, and its meaning as a tooltip. */
export const statusBadge = (status: Status) =>
  h('span', { class: `status status-${status}`, title: STATUS_MEANING[status] }, status);
