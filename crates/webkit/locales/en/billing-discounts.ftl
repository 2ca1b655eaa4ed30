## Billing: discounts on contracts and promo codes

promos-title = Promo codes
promos-new = New promo code
promos-edit = Edit promo code
promos-create = Create promo code
promos-search = Code or description
promos-code = Code
promos-valid = Valid
promos-valid-from = First valid day
promos-valid-until = Last valid day
promos-uses = Uses
promos-used-times = Redeemed { $count } times.
promos-max-uses = Maximum uses
promos-max-uses-per-customer = Maximum uses per customer
promos-hint = Customers or staff type the code when a contract is created, or later on the contract page. Letters, digits, "-" and "_"; case does not matter.
promos-hint-limits = Leave a limit empty for none. Cycles: how many invoices the discount appears on.
promos-plans = Plans
promos-plans-hint = None ticked: valid for every plan.
promos-field-active = Active (can be redeemed)
promos-deactivate = Deactivate
promos-confirm-deactivate = Deactivate this promo code? It can no longer be redeemed; discounts it already gave continue.
promos-state-active = Active
promos-state-expired = Expired
promos-state-inactive = Inactive
promos-state-scheduled = Not valid yet

discounts-title = Discounts
discounts-none = No discounts.
discounts-add = Add discount
discounts-apply-code = Apply promo code
discounts-promo-code = Promo code
discounts-amount = Discount
discounts-kind = Type
discounts-kind-percent = Percentage of the plan
discounts-kind-fixed = Fixed amount
discounts-value = Amount or percentage
discounts-cycles = Cycles
discounts-until = Until (periods starting before)
discounts-until-date = until { $date }
discounts-hint = Applied to the plan line of each invoice, as its own line; taxes are computed on the discounted price. Leave cycles and date empty for a discount without end.
discounts-cycles-used = { $used } of { $cycles } cycles used
discounts-cycles-open = { $used } cycles used, no limit
discounts-running = Running
discounts-ended = Ended
discounts-end = End
discounts-confirm-end = End this discount? Later invoices will not have it.
discounts-line-discount = Discount: { $description }
discounts-line-promo = Promo { $code }

discounts-promo-unknown = This promo code does not exist.
discounts-promo-inactive = This promo code is no longer active.
discounts-promo-not-yet-valid = This promo code is not valid yet.
discounts-promo-expired = This promo code has expired.
discounts-promo-used-up = This promo code has been used as many times as allowed.
discounts-promo-used-up-by-customer = This customer has already used this promo code as many times as allowed.
discounts-promo-not-for-plan = This promo code is not valid for this plan.

refused-discount-ended = This discount has already ended.

flash-promo-created = Promo code created.
flash-promo-deactivated = Promo code deactivated.
flash-promo-applied = Promo code applied: the discount is on the contract.
flash-discount-added = Discount added.
flash-discount-ended = Discount ended.
