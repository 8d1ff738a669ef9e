import { makePreview } from '@/testing/fixtures';
import { runOutcome } from './run-outcome';

const preview = (warn: number, deactivate: number, remove: number, would_abort = false) =>
  makePreview({ users_to_warn: warn, users_to_deactivate: deactivate, users_to_delete: remove, would_abort });

describe('what the run button says it will do', () => {
  it.each([
    ['only warns', preview(101, 0, 0), 'Warn 101 users', false],
    ['warns one user', preview(1, 0, 0), 'Warn 1 user', false],
    ['deactivates', preview(0, 12, 0), 'Deactivate 12 users', true],
    ['deletes', preview(0, 0, 3), 'Delete 3 users', true],
    ['warns and deactivates', preview(5, 12, 0), 'Warn 5 users and deactivate 12 users', true],
    ['does all three', preview(5, 12, 1), 'Warn 5 users, deactivate 12 users and delete 1 user', true],
    ['matches nobody', preview(0, 0, 0), 'Run (changes nothing)', false],
  ])('a real run that %s', (_, counts, label, removes) => {
    expect(runOutcome(counts, false, 'ask')).toEqual({ label, removes });
  });

  it('a dry run changes nothing, whatever it matches', () => {
    expect(runOutcome(preview(5, 12, 3), true, 'abort')).toEqual({ label: 'Run (changes nothing)', removes: false });
  });

  it('over the safety cap a run removes nobody: it waits for approval, or stops', () => {
    expect(runOutcome(preview(5, 90, 0, true), false, 'ask')).toEqual({ label: 'Run (waits for approval)', removes: false });
    expect(runOutcome(preview(5, 90, 0, true), false, 'abort')).toEqual({ label: 'Run (changes nothing)', removes: false });
  });
});
