// Prints vitest's JSON report as one plain closing line, "N passed, N failed, N skipped", and
// fails when no test ran at all (a run that tested nothing must not look green).
import { readFileSync } from 'node:fs';

interface Report {
  success: boolean;
  numFailedTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTests: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: test-summary <vitest json report>');
let report: Report;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as Report;
} catch (err) {
  console.error(`test-summary: no readable report at ${file}: ${(err as Error).message}`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
// A file that fails to load fails no single test, but it is a failure all the same.
const failed =
  report.numFailedTests > 0 || report.success ? report.numFailedTests : Math.max(1, report.numFailedTestSuites);
console.log(`tests: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
if (skipped > 0) console.error('test-summary: skipped tests are not allowed here: make them run or remove them');
if (report.numTotalTests === 0) {
  console.error('test-summary: no test ran');
  process.exit(1);
}
process.exit(failed > 0 || skipped > 0 || !report.success ? 1 : 0);
