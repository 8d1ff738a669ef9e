import type { NoticeStatus } from '../api/types';

/** Where a user's warning email is: accepted by the mail server, or still to be. */
export const NOTICE_STATUS_LABEL: Record<NoticeStatus, { label: string; title?: string }> = {
  sent: { label: 'Sent' },
  pending: { label: 'Pending', title: 'Not yet accepted by the mail server: nobody is removed before their notice is sent' },
  undeliverable: {
    label: 'Undeliverable',
    title: 'The mail server refused the address: the policy holds the user, or removes them without a warning',
  },
};
