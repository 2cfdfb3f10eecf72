// Asking a person before an irreversible step. Only on a terminal (standard input and output
// both TTYs): a script or pipeline has nobody to answer, and namerctl never asked there, so it
// keeps namerctl's behaviour of going ahead.
import { createInterface } from 'node:readline'

export interface Prompt {
  /** A person can answer: standard input and standard output are terminals. */
  readonly interactive: boolean
  /** Asks `question` and resolves with the line typed, or null at end of input (Ctrl-D). */
  ask(question: string): Promise<string | null>
}

export function processPrompt(): Prompt {
  return {
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    ask: (question) =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout })
        let answered = false
        rl.once('close', () => {
          if (!answered) {
            process.stdout.write('\n')
            resolve(null)
          }
        })
        rl.question(question, (line) => {
          answered = true
          rl.close()
          resolve(line)
        })
      }),
  }
}

/** True for y or yes (any case); anything else, and no answer, is no. */
export async function confirm(prompt: Prompt, question: string): Promise<boolean> {
  const answer = await prompt.ask(`${question} [y/N] `)
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer)
}
