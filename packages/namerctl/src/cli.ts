// The command tree and how a run ends: 0 when it worked, 1 when it failed, 2 when the command
// line could not be understood (commander's own usage errors included). namerctl's Go version
// exited 255 on any error; see docs/namerctl.md, "Compatibility".
import { Command, CommanderError } from 'commander'
import { registerCompletion } from './commands/completion.js'
import { registerDelegate } from './commands/delegate.js'
import { registerDtab } from './commands/dtab.js'
import { registerHistory } from './commands/history.js'
import { registerRollback } from './commands/rollback.js'
import { registerRollout } from './commands/rollout.js'
import { registerShift } from './commands/shift.js'
import { registerStatus } from './commands/status.js'
import { BASE_URL_ENV, CA_CERT_ENV, CERT_ENV, KEY_ENV, TOKEN_ENV } from './config.js'
import { type Context, connect, examples } from './context.js'
import { CliError, renderError } from './errors.js'
import { type Io, style } from './io.js'
import { VERSION } from './version.js'

export function buildProgram(ctx: Context): Command {
  const program = new Command('namerctl')
    .description(
      'Read and change the dtabs namerd serves, safely. Compatible with linkerd/namerctl ' +
        '(dtab list|get|create|update|delete), plus traffic shifts, an editor with ' +
        'compare-and-swap, history, rollback, a route debugger and propagation status.',
    )
    .option(
      '--base-url <url>',
      `namerd's address, e.g. http://namerd.example.com:4180 (or ${BASE_URL_ENV})`,
    )
    .option('--config <file>', 'a config file (default: .namerctl.yaml here or in a parent folder)')
    .option('--token <token>', `a bearer token for namerd (or ${TOKEN_ENV})`)
    .option(
      '--ca-cert <file>',
      `an https namerd: the CA (PEM) that signed its certificate (or ${CA_CERT_ENV}; default the system's)`,
    )
    .option(
      '--cert <file>',
      `a client certificate (PEM) for a namerd that asks for one (or ${CERT_ENV})`,
    )
    .option('--key <file>', `the client certificate's key (PEM) (or ${KEY_ENV})`)
    .option('--no-color', 'no colour, even on a terminal (NO_COLOR works too)')
    .helpCommand(true)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage and examples)')
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      // commander writes `error: ...`; namerctl (Cobra) wrote `Error: ...`.
      outputError: (s, write) => write(s.replace(/^error: /, 'Error: ')),
    })
    .exitOverride()
    .addHelpText(
      'after',
      [
        '',
        'Where namerd is: --base-url, else NAMERCTL_BASE_URL, else base-url in a .namerctl.yaml',
        'in this folder or the nearest parent that has one. A token: --token, NAMERCTL_TOKEN or',
        'token in that file. An https namerd with a private CA: --ca-cert (NAMERCTL_CA_CERT,',
        'ca-cert in the file); one that wants a client certificate: --cert and --key too.',
        examples(
          'export NAMERCTL_BASE_URL=http://namerd.default.svc.cluster.local:4180',
          'namerctl dtab list',
          'namerctl dtab get internal',
          'namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90',
          'namerctl delegate internal /svc/world',
          'namerctl history internal && namerctl rollback internal',
          'namerctl status internal --wait',
        ),
        '`namerctl --version` (or -V) prints the version. Exit status: 0 ok, 1 failure, 2 usage error.',
      ].join('\n'),
    )
  registerDtab(program, ctx)
  registerShift(program, ctx)
  registerHistory(program, ctx)
  registerRollback(program, ctx)
  registerDelegate(program, ctx)
  registerStatus(program, ctx)
  registerRollout(program, ctx)
  registerCompletion(program, ctx)
  return program
}

/** Runs one command line (without `node namerctl`) and returns the exit status. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  // --no-color must be known before anything prints, so it is looked for up front.
  const noColor = argv.includes('--no-color')
  const ctx: Context = {
    io,
    out: style(io.color && !noColor),
    err: style(io.colorErr && !noColor),
    connect: (cmd) => connect(io, cmd),
  }
  // Not commander's .version(): its --version would be taken anywhere on the line, and
  // namerctl's `dtab update --version <v>` needs the flag.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // `<program> <version>`, as `namerd --version` and `switchyard-proxy --version` print it.
    io.out(`namerctl ${VERSION}\n`)
    return 0
  }
  const program = buildProgram(ctx)
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2
    }
    if (err instanceof CliError) {
      io.err(renderError(err))
      return err.exitCode
    }
    io.err(
      `Error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n  (this is a bug in namerctl; please report it)\n`,
    )
    return 1
  }
}
