// Driven by tests/booth/test_interop.py: reads one JSON request on stdin, writes one JSON answer on stdout.
//   make-ballot   {manifest_event, election, credential_code, selections} → {ballot, opening, trackingCode}
//   layouts       {questions: [...]} → [{layout, problems: {json(chosen): key or null}}] for each question
//   check-ballot  {manifest_event, election, roll, ballot} → {ok: true} or {ok: false, error}
//   check-receipts {cases: [{receipt}]} → [{ok: true, summary} or {ok: false, key, error}] (one per case)
import { js } from './helpers.mjs';

const { electionFromApi } = await js('election.js');
const { checkBallot, encryptBallot } = await js('ballot.js');
const { Voter, seedFromCode } = await js('credential.js');
const { layout, selectionProblem } = await js('manifest.js');
const { verifyReceipt } = await js('merkle.js');

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const election = () => electionFromApi({ manifest: req.manifest_event, election: req.election, phase: 'voting' });

const commands = {
  'make-ballot': () => encryptBallot(election(), new Voter(seedFromCode(req.credential_code)), req.selections),
  layouts: () => req.questions.map((q) => ({
    layout: layout(q),
    problems: Object.fromEntries(req.choices.map((c) => [JSON.stringify(c), selectionProblem(q, c)?.key ?? null])),
  })),
  'check-ballot': () => {
    try {
      checkBallot(req.ballot, election(), new Set(req.roll));
      return { ok: true };
    } catch (e) {
      return { ok: false, error: e.message };
    }
  },
  'check-receipts': () => req.cases.map(({ receipt }) => {
    try {
      return { ok: true, summary: verifyReceipt(receipt) };
    } catch (e) {
      return { ok: false, key: e.key ?? null, error: e.message };
    }
  }),
};

process.stdout.write(JSON.stringify(commands[process.argv[2]]()));
