# Documentos de cobrança: PDF das faturas e seu modelo, a aba de cobrança
# do cliente (saldo, faturas em aberto, extrato), e-mail na emissão.

billing-docs-tab = Cobrança
billing-docs-account = Conta
billing-docs-balance = Saldo
billing-docs-open-count = Faturas em aberto
billing-docs-open = Faturas em aberto
billing-docs-open-none = Nenhuma fatura em aberto.
billing-docs-number = Número
billing-docs-issued = Emissão
billing-docs-due = Vencimento
billing-docs-total = Total
billing-docs-open-amount = A pagar
billing-docs-statement = Extrato
billing-docs-statement-pdf = Baixar PDF
billing-docs-statement-hint = Todas as faturas e notas de crédito emitidas no período, com o saldo após cada uma. Saldo positivo é devido pelo cliente.
billing-docs-reference = Referência
billing-docs-status = Situação
billing-docs-statement-csv = Exportar CSV
billing-docs-date = Data
billing-docs-document = Documento
billing-docs-amount = Valor
billing-docs-running = Saldo
billing-docs-opening = Saldo anterior
billing-docs-closing = Saldo final
billing-docs-kind-invoice = Fatura
billing-docs-kind-credit-note = Nota de crédito
billing-docs-kind-payment = Pagamento
billing-docs-credits = ref. fatura { $number }
billing-docs-voided = Cancelada

invoice-template-title = Modelo de fatura
invoice-template-body = Texto do modelo
invoice-template-syntax = # inicia um título, - um item de lista, **texto** fica em negrito, | chave | valor | é uma linha de tabela. Um parágrafo só com {"{{"}lines{"}}"}, {"{{"}taxes{"}}"}, {"{{"}totals{"}}"} ou {"{{"}payment{"}}"} vira essa seção. Parágrafos são separados por uma linha em branco.
invoice-template-preview = Pré-visualizar PDF
invoice-template-reset = Voltar ao modelo padrão
invoice-template-confirm-reset = Substituir o modelo editado pelo padrão? Seu texto será perdido.
invoice-template-placeholders-hint = Digite-os no texto como mostrado; cada um vira o valor do documento quando o PDF é gerado, em faturas e notas de crédito. A pré-visualização usa uma fatura de exemplo.
flash-invoice-template-saved = Modelo de fatura salvo.
flash-invoice-template-reset = O modelo de fatura padrão voltou a ser usado.

invoice-placeholder-company-name = Nome da sua empresa
invoice-placeholder-company-document = CNPJ da sua empresa
invoice-placeholder-customer-name = Nome do cliente
invoice-placeholder-customer-document = CPF ou CNPJ do cliente
invoice-placeholder-customer-email = E-mail de cobrança do cliente
invoice-placeholder-billing-address = Endereço de cobrança do cliente
invoice-placeholder-service-address = Endereço de instalação do contrato
invoice-placeholder-document-title = "Fatura" ou "Nota de crédito"
invoice-placeholder-document-number = Número do documento
invoice-placeholder-document-issue-date = Data de emissão
invoice-placeholder-document-due-date = Data de vencimento
invoice-placeholder-document-reference = Numa nota de crédito: a fatura a que se refere (vazio nas faturas)
invoice-placeholder-document-notes = Observações do documento (o motivo de uma nota de crédito)
invoice-placeholder-document-total = Valor a pagar (ou creditado)
invoice-placeholder-currency-minor-unit = Menor valor da moeda, p. ex. R$ 0,01
invoice-placeholder-lines = Seção: cada item com período, quantidade, preço unitário, desconto e total
invoice-placeholder-taxes = Seção: cada tributo com alíquota, base e valor
invoice-placeholder-totals = Seção: valor líquido, descontos, tributos e total
invoice-placeholder-payment = Seção: como pagar (Pix, boleto, cartão), com título próprio; omitida nas notas de crédito

setting-email-send-invoices = Enviar faturas e notas de crédito por e-mail
setting-email-send-invoices-hint = Ao emitir, envia ao primeiro e-mail do cliente com o PDF anexo.
setting-email-public-url = Endereço público
setting-email-public-url-hint = O endereço pelo qual os clientes acessam este sistema, ex.: https://pagar.seuprovedor.com.br. Os links de pagamento das faturas, e-mails, lembretes e avisos começam por ele. Vazio: o public_url do arquivo de configuração; sem nenhum dos dois, as mensagens vão sem link.
