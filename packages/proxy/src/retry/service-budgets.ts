// One retry budget per logical service, as Linkerd scopes its `service` settings: a service whose
// backends all fail spends its own budget, not the retries of every other service on the router.
import { RetryBudget, type RetryBudgetOptions } from './budget.js'

/** Service names come from requests; past this many, new ones share one budget. */
const LIMIT = 2000

export class ServiceBudgets {
  private readonly budgets = new Map<string, RetryBudget>()
  private overflow: RetryBudget | undefined

  constructor(private readonly options: RetryBudgetOptions) {
    // Invalid options throw here, at startup, not at the first request.
    new RetryBudget(options)
  }

  get(service: string): RetryBudget {
    let b = this.budgets.get(service)
    if (b !== undefined) return b
    if (this.budgets.size >= LIMIT) {
      this.overflow ??= new RetryBudget(this.options)
      return this.overflow
    }
    b = new RetryBudget(this.options)
    this.budgets.set(service, b)
    return b
  }
}
