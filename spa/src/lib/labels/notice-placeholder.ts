import type { NoticeLanguage } from '../api/types';

/**
 * The placeholders a notice's subject and body may hold (the server refuses any other brace
 * with a 400 naming it), and what each becomes in the email.
 */
export const NOTICE_PLACEHOLDERS: { name: string; text: string }[] = [
  { name: '{first_name}', text: "the user's first name (their username when it is empty)" },
  { name: '{tenant}', text: 'your organisation’s name' },
  { name: '{removal_date}', text: 'the day the account is removed, in the notice’s language' },
  { name: '{keep_url}', text: 'the link to the page with the “Keep my account” button' },
  { name: '{sign_in_url}', text: 'your sign-in address' },
];

/** The notice languages, as the policy editor offers them. */
export const NOTICE_LANGUAGE_LABEL: Record<NoticeLanguage, string> = { en: 'English', de: 'Deutsch (German)' };
