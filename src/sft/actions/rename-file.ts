import { unsafeFileNameReason } from '../config/paths.ts';
import type { RenameFileAction } from '../config/types.ts';
import { ActionError } from './action-error.ts';

/**
 * Applies a `renameFile` action to the name later actions use. The file on disk keeps its name;
 * only what is written (`writeFile`) and sent (`httpRequest`'s `filename`) changes. A result that
 * is not a single safe file name (`sub/$1`, empty) is a permanent failure: retrying cannot fix it.
 */
export function renameFileAction(action: RenameFileAction, name: string): string {
  const renamed = action.rename(name);
  const unsafe = unsafeFileNameReason(renamed);
  if (unsafe) {
    throw new ActionError(`renameFile turned "${name}" into "${renamed}": ${unsafe}`, { retryable: false });
  }
  return renamed;
}
