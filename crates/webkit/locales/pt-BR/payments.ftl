# Pagamentos: o livro de pagamentos, registro, estornos e reversões,
# recibos, situação de pagamento das faturas.

perm-payments-view = Ver pagamentos, estornos e recibos
perm-payments-record = Registrar pagamentos recebidos manualmente (dinheiro, transferência)
perm-payments-refund = Estornar e reverter pagamentos

nav-payments = Pagamentos

timeline-payment-received = Pagamento { $receipt } recebido: { $amount } via { $method }
timeline-payment-refunded = Estorno do pagamento { $receipt }: { $amount } ({ $reason })
timeline-payment-reversed = Pagamento { $receipt } revertido: { $amount } ({ $reason })

payments-method-pix = Pix
payments-method-pix_automatico = Pix Automático
payments-method-boleto = Boleto
payments-method-stripe = Cartão (Stripe)
payments-method-paypal = PayPal
payments-method-cash = Dinheiro
payments-method-bank_transfer = Transferência bancária
payments-method-other = Outro

payments-kind-payment = Pagamento
payments-kind-refund = Estorno
payments-kind-reversal = Reversão

payments-status-open = Em aberto
payments-status-partially_paid = Pago em parte
payments-status-overdue = Vencida
payments-status-paid = Paga
payments-status-voided = Cancelada
payments-status-draft = Rascunho

payments-title = Pagamentos
payments-none = Nenhum pagamento encontrado.
payments-receipt = Recibo
payments-customer = Cliente
payments-method = Forma
payments-kind = Tipo
payments-amount = Valor
payments-fee = Tarifa
payments-received-on = Recebido em
payments-reference = Referência
payments-gateway = Intermediador
payments-notes = Observações
payments-invoice = Fatura
payments-from = De
payments-to = Até
payments-search = Recibo ou referência
payments-filter = Filtrar
payments-any = Qualquer
payments-export = Exportar CSV
payments-more = Pagamentos anteriores
payments-recorded-by = Registrado por
payments-allocations = Aplicado em
payments-allocation-settles = pago
payments-allocation-reopens = reaberto
payments-unapplied = Mantido como crédito
payments-refundable = Disponível para estorno
payments-taken-back = Estornos e reversões
payments-receipt-pdf = Recibo (PDF)
payments-refund = Estornar
payments-refund-title = Estornar parte deste pagamento
payments-refund-hint = Primeiro volta o valor não aplicado a faturas; depois as faturas mais recentes que ele pagou voltam a ficar em aberto.
payments-reverse = Reverter
payments-reverse-title = Reverter este pagamento
payments-reverse-hint = Para uma transferência devolvida ou um chargeback: todo o restante do pagamento é retirado e as faturas que ele pagou voltam a ficar em aberto.
payments-reason = Motivo
payments-confirm-refund = Estornar este valor?
payments-confirm-reverse = Reverter este pagamento? Não é possível desfazer.
payments-record = Registrar pagamento
payments-record-title = Registrar um pagamento
payments-record-hint = Dinheiro, transferências e outros valores recebidos manualmente. Paga primeiro a fatura escolhida, depois as mais antigas em aberto; o restante fica como crédito do cliente.
payments-credit = Crédito
payments-of-invoice = Pagamentos
payments-paid = Pago
payments-left = A pagar
payments-invoice-none = Nenhum pagamento nesta fatura.
refused-not-a-payment = Só um pagamento pode ser estornado ou revertido.
refused-nothing-to-reverse = Não resta nada deste pagamento para reverter.

flash-payment-recorded = Pagamento registrado.
flash-payment-refunded = Estorno registrado.
flash-payment-reversed = Pagamento revertido.
billing-docs-kind-refund = Estorno
billing-docs-kind-reversal = Reversão
