import type { Command } from 'commander';

/** `egress routes import-tf` (filled in with the Terraform import). */
export function registerImportTfCommand(_routes: Command): void {}
