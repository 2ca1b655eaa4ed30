# Cobrança: régua, clientes em atraso, desbloqueio em confiança, lista de cancelamento.
perm-collections-view = Ver clientes em atraso, a régua de cobrança e a lista de cancelamento
perm-collections-manage = Editar a régua de cobrança e executar a passagem diária de cobrança
perm-collections-unlock = Liberar por alguns dias um contrato suspenso por falta de pagamento (desbloqueio em confiança)
timeline-collections-reminder-sent = Lembrete de pagamento enviado da fatura { $number }, vencimento { $date }
timeline-collections-notice-sent = Aviso de suspensão enviado da fatura { $number }: { $owed } devidos, suspensão possível a partir de { $date }
timeline-collections-unlocked = Contrato { $number } desbloqueado em confiança até { $date }
