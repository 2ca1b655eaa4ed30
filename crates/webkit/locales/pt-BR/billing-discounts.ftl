## Faturamento: descontos em contratos e cupons promocionais

promos-title = Cupons promocionais
promos-new = Novo cupom
promos-edit = Editar cupom
promos-create = Criar cupom
promos-search = Código ou descrição
promos-code = Código
promos-valid = Validade
promos-valid-from = Primeiro dia válido
promos-valid-until = Último dia válido
promos-uses = Usos
promos-used-times = Resgatado { $count } vezes.
promos-max-uses = Máximo de usos
promos-max-uses-per-customer = Máximo de usos por cliente
promos-hint = O código é informado na criação do contrato ou depois, na página do contrato. Letras, dígitos, "-" e "_"; maiúsculas e minúsculas não importam.
promos-hint-limits = Deixe um limite vazio para não limitar. Ciclos: em quantas faturas o desconto aparece.
promos-plans = Planos
promos-plans-hint = Nenhum marcado: vale para todos os planos.
promos-field-active = Ativo (pode ser resgatado)
promos-deactivate = Desativar
promos-confirm-deactivate = Desativar este cupom? Ele não poderá mais ser resgatado; os descontos já concedidos continuam.
promos-state-active = Ativo
promos-state-expired = Expirado
promos-state-inactive = Inativo
promos-state-scheduled = Ainda não válido

discounts-title = Descontos
discounts-none = Nenhum desconto.
discounts-add = Adicionar desconto
discounts-apply-code = Aplicar cupom
discounts-promo-code = Cupom promocional
discounts-amount = Desconto
discounts-kind = Tipo
discounts-kind-percent = Percentual do plano
discounts-kind-fixed = Valor fixo
discounts-value = Valor ou percentual
discounts-cycles = Ciclos
discounts-until = Até (períodos que começam antes de)
discounts-until-date = até { $date }
discounts-hint = Aplicado à linha do plano de cada fatura, como uma linha própria; os impostos são calculados sobre o preço com desconto. Deixe ciclos e data vazios para um desconto sem fim.
discounts-cycles-used = { $used } de { $cycles } ciclos usados
discounts-cycles-open = { $used } ciclos usados, sem limite
discounts-running = Em vigor
discounts-ended = Encerrado
discounts-end = Encerrar
discounts-confirm-end = Encerrar este desconto? As próximas faturas não o terão.
discounts-line-discount = Desconto: { $description }
discounts-line-promo = Cupom { $code }

discounts-promo-unknown = Este cupom não existe.
discounts-promo-inactive = Este cupom não está mais ativo.
discounts-promo-not-yet-valid = Este cupom ainda não é válido.
discounts-promo-expired = Este cupom expirou.
discounts-promo-used-up = Este cupom já foi usado o número máximo de vezes.
discounts-promo-used-up-by-customer = Este cliente já usou este cupom o número máximo de vezes.
discounts-promo-not-for-plan = Este cupom não é válido para este plano.

refused-discount-ended = Este desconto já foi encerrado.

flash-promo-created = Cupom criado.
flash-promo-deactivated = Cupom desativado.
flash-promo-applied = Cupom aplicado: o desconto está no contrato.
flash-discount-added = Desconto adicionado.
flash-discount-ended = Desconto encerrado.
