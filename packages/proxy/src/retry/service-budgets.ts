// One retry budget per logical service, as Linkerd scopes its `service` settings: a service whose
// backends all fail spends its own budget, not the retries of every other service on the router.
import { BoundedFamily } from '../bounded-family.js'
import { RetryBudget, type RetryBudgetOptions } from './budget.js'

export class ServiceBudgets extends BoundedFamily<RetryBudget> {
  constructor(options: RetryBudgetOptions) {
    // Invalid options throw here, at startup, not at the first request.
    new RetryBudget(options)
    super(() => new RetryBudget(options))
  }
}
