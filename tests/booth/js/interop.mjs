// Driven by tests/booth/test_interop.py: reads one JSON request on stdin, writes one JSON answer on stdout.
//   make-ballot   {manifest_event, election, credential_code, selections} → {ballot, opening, trackingCode}
//   layouts       {questions: [...]} → [{layout, problems: {json(chosen): key or null}}] for each question
//   check-ballot  {manifest_event, election, roll, ballot} → {ok: true} or {ok: false, error}
//   check-ballots {manifest_event, election, ballots} → [{ok: true} or {ok: false, field, error}] (no roll check)
//   check-receipts {cases: [{receipt}]} → [{ok: true, summary} or {ok: false, key, error}] (one per case)
//   cr-make       {manifest_event, election, entries, device_file, code, selections} → the cr-ballots of the device
//                 credential and of the sheet code, a fake of each (file text, code), and a ballot of each fake
//   cr-check      {manifest_event, election, ballot} → {ok: true, trackingCode} or {ok: false, field, error}
import { js } from './helpers.mjs';

const { electionFromApi } = await js('election.js');
const { checkBallot, encryptBallot } = await js('ballot.js');
const { Voter, seedFromCode } = await js('credential.js');
const { layout, selectionProblem } = await js('manifest.js');
const { verifyReceipt } = await js('merkle.js');
const { checkCrBallot, crTrackingCode } = await js('crballot.js');
const { CrCredential, crContextFromEntries } = await js('crcredential.js');

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
  'check-ballots': () => {
    const e = election();
    return req.ballots.map((ballot) => {
      try {
        checkBallot(ballot, e);
        return { ok: true };
      } catch (err) {
        return { ok: false, field: err.field ?? null, error: err.message };
      }
    });
  },
  'cr-make': () => {
    const e = election();
    const ctx = crContextFromEntries(e, req.entries);
    const file = CrCredential.fromDeviceFile(req.device_file, ctx);
    const sheet = CrCredential.fromCode(req.code, ctx);
    const fakeFile = file.makeFake().text;
    const fakeCode = sheet.makeFake().code;
    return {
      file: file.encrypt(e, req.selections),
      sheet: sheet.encrypt(e, req.selections),
      fake_file: fakeFile,
      fake_code: fakeCode,
      fake_file_ballot: CrCredential.fromDeviceFile(fakeFile, ctx).encrypt(e, req.selections),
      fake_code_ballot: CrCredential.fromCode(fakeCode, ctx).encrypt(e, req.selections),
    };
  },
  'cr-check': () => {
    try {
      checkCrBallot(req.ballot, election());
      return { ok: true, trackingCode: crTrackingCode(req.ballot) };
    } catch (e) {
      return { ok: false, field: e.field ?? null, error: e.message };
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
