## RADIUS / área de rede: sessões, log de autenticação, "quem tinha o IP X
## no momento T", cadastro de NAS, histórico de conexões de um contrato

radius-tab-sessions = Sessões online
radius-tab-auth-log = Log de autenticação
radius-tab-who = Quem tinha este IP?
radius-tab-nas = Roteadores (NAS)
radius-sessions-title = Sessões online
radius-auth-log-title = Log de autenticação
radius-who-title = Quem tinha este endereço IP?
radius-nas-title = Roteadores (NAS)
radius-nas-new = Adicionar NAS
radius-nas-edit = Editar NAS
radius-contract-title = Conexões do contrato { $number }
radius-back-to-contract = Contrato { $number }

radius-search = Login, IP ou MAC
radius-any = Qualquer
radius-any-nas = Qualquer NAS
radius-any-plan = Qualquer plano
radius-plan = Plano
radius-online-count = { $count ->
    [one] { $count } sessão online
   *[other] { $count } sessões online
}
radius-dead-letters = { $count ->
    [one] { $count } registro de accounting foi recusado pelo banco de dados e aguarda na fila de rejeitados de um nó RADIUS.
   *[other] { $count } registros de accounting foram recusados pelo banco de dados e aguardam na fila de rejeitados dos nós RADIUS.
}
radius-dead-letters-hint = No nó, `lastmile aaa journal` mostra o motivo; corrigida a causa, `lastmile aaa journal --retry` os aplica.
radius-login = Login
radius-customer = Cliente
radius-contract = Contrato
radius-address = Endereço
radius-started = Início
radius-stopped = Fim
radius-duration = Duração
radius-traffic = Tráfego
radius-download = Download
radius-upload = Upload
radius-online = Online
radius-when = Quando
radius-result = Resultado
radius-reason = Motivo
radius-method = Método
radius-updated = Atualizado
radius-terminate-cause = Motivo do fim
radius-no-sessions = Nenhuma sessão online corresponde a estes filtros.
radius-no-history = Este contrato ainda não tem registros de conexão.
radius-disconnect = Desconectar
radius-confirm-disconnect = Desconectar { $login } agora? O roteador encerra a sessão; o equipamento do cliente normalmente reconecta sozinho.
radius-requested-by = Pedido por

radius-result-accept = Aceito
radius-result-restricted = Restrito
radius-result-reject = Recusado
radius-reason-wrong-password = Senha errada
radius-reason-unknown-user = Usuário desconhecido (nenhum contrato com este login)
radius-reason-contract-suspended = Contrato suspenso
radius-reason-contract-canceled = Contrato cancelado
radius-reason-contract-pending = Contrato ainda não instalado
radius-reason-mac-mismatch = O MAC não confere com o do contrato
radius-reason-simultaneous-use = Acima do limite de conexões simultâneas
radius-reason-quota-blocked = Franquia de dados esgotada (bloqueado)
radius-reason-missing-message-authenticator = O roteador não enviou Message-Authenticator (proteção BlastRADIUS)
radius-reason-unsupported-method = Método de autenticação não suportado

radius-coa-title = Pedidos de desconexão e alteração
radius-coa-hint = Enviados ao roteador pelo nó RADIUS, com novas tentativas; a resposta do roteador aparece aqui.
radius-coa-none = Nenhum pedido ainda.
radius-coa-kind = Pedido
radius-kind-disconnect = Desconexão
radius-kind-coa = Mudança de autorização (CoA)
radius-coa-status-pending = Pendente
radius-coa-status-ack = Feito (ACK)
radius-coa-status-nak = Recusado (NAK)
radius-coa-status-failed = Sem resposta
radius-error-cause-201 = Contexto residual da sessão removido
radius-error-cause-401 = Atributo não suportado
radius-error-cause-402 = Atributo ausente
radius-error-cause-403 = Identificação do NAS não confere
radius-error-cause-404 = Pedido inválido
radius-error-cause-405 = Serviço não suportado
radius-error-cause-407 = Valor de atributo inválido
radius-error-cause-501 = Proibido pela administração
radius-error-cause-503 = Sessão não encontrada
radius-error-cause-504 = A sessão não pode ser removida
radius-error-cause-506 = Roteador sem recursos

radius-who-intro = Responde à pergunta de uma ordem judicial (Marco Civil da Internet, art. 13): qual assinante usava um endereço IPv4 ou prefixo IPv6 num determinado momento. Os registros de conexão são guardados por no mínimo um ano.
radius-who-ip = Endereço IPv4 ou endereço/prefixo IPv6
radius-who-at = Data e hora
radius-who-at-hint = No formato AAAA-MM-DD HH:MM[:SS] no fuso { $zone }, ou RFC 3339 com o deslocamento (2026-03-01T14:05:33-03:00).
radius-who-search = Consultar
radius-who-audited = Toda consulta fica registrada no log de auditoria com o seu nome.
radius-who-result = { $ip } em
radius-who-none = Nenhum registro de conexão tinha este endereço naquele momento.
radius-invalid-ip = Informe um endereço IPv4, ou um endereço ou prefixo IPv6 (ex.: 2001:db8:100::/56).
radius-invalid-instant = Informe data e hora como AAAA-MM-DD HH:MM, ou no formato RFC 3339.

radius-nas-intro = Roteadores e concentradores que autenticam os assinantes no Lastmile. Pacotes de qualquer outro endereço são descartados.
radius-nas-none = Nenhum NAS ainda. Adicione o primeiro roteador para começar a autenticar os assinantes.
radius-nas-name = Nome
radius-nas-address = Endereço IP
radius-nas-kind = Perfil do fabricante
radius-nas-coa-port = Porta CoA
radius-nas-secret = Segredo compartilhado
radius-nas-secret-keep = Deixe em branco para manter o segredo atual
radius-nas-secret-hint = Guardado criptografado. Depois de salvo, não aparece mais, exceto por "Revelar segredo" (que fica registrado na auditoria).
radius-nas-require-ma = Sempre exigir Message-Authenticator
radius-nas-require-ma-hint = Proteção contra BlastRADIUS. Depois que o roteador passa a enviá-lo, ele é exigido de qualquer forma.
radius-nas-disabled = Desativado (pacotes deste roteador são descartados)
radius-nas-notes = Observações
radius-nas-create = Adicionar NAS
radius-nas-settings = Roteador
radius-nas-state = Situação
radius-nas-test = Testar porta CoA
radius-nas-test-hint = O teste envia um CoA-Request para uma sessão que não existe e espera 2 segundos por qualquer resposta. Nenhum assinante é afetado.
radius-nas-reveal = Revelar segredo
radius-nas-revealed = O segredo compartilhado (esta exibição foi registrada na auditoria):
radius-nas-delete = Excluir
radius-confirm-reveal = Mostrar o segredo compartilhado? Isso fica registrado no log de auditoria.
radius-confirm-delete-nas = Excluir este NAS? Se ele tiver registros de conexão, será desativado em vez de excluído, pois os registros precisam continuar apontando para ele.
radius-ma-required = Exigido
radius-ma-seen = Visto, agora exigido
radius-ma-not-yet = Ainda não visto
radius-kind-mikrotik = MikroTik
radius-kind-accel-ppp = accel-ppp
radius-kind-cisco = Cisco
radius-kind-huawei = Huawei
radius-kind-juniper = Juniper
radius-kind-generic = Genérico
radius-invalid-address = Informe um endereço IPv4 ou IPv6, como 10.0.0.1.
radius-nas-taken-name = Já existe outro NAS com este nome.
radius-nas-taken-address = Outro NAS já usa este endereço.
radius-test-answered = O roteador respondeu ({ $code }): a porta CoA está acessível e o segredo confere.
radius-test-bad-secret = Algo respondeu ({ $code }), mas a assinatura não confere com o segredo compartilhado. Verifique o segredo no roteador.
radius-test-no-answer = Nenhuma resposta em 2 segundos. Verifique o endereço, a porta CoA, o firewall do roteador e se o CoA está habilitado para este servidor.
radius-test-failed = Não foi possível enviar o teste: { $error }

radius-fixed-address = IPv4 fixo
radius-usage-title = Consumo por ciclo de cobrança
radius-usage-none = Nenhum consumo registrado ainda.
radius-cycle = Ciclo iniciado em
radius-online-time = Tempo conectado
radius-history-title = Histórico de conexões
radius-recent-auth = Autenticações recentes
radius-contract-status-pending-installation = Aguardando instalação
radius-contract-status-active = Ativo
radius-contract-status-suspended = Suspenso
radius-contract-status-canceled = Cancelado

flash-radius-disconnect-queued = Desconexão solicitada. O nó RADIUS envia o pedido ao roteador agora; a resposta aparece abaixo.
flash-radius-session-closed = Essa sessão já tinha terminado.
flash-radius-nas-created = NAS adicionado. Configure o mesmo segredo no roteador e depois use "Testar porta CoA".
flash-radius-nas-deleted = NAS excluído.
flash-radius-nas-disabled = Este NAS tem registros de conexão, por isso foi desativado em vez de excluído.
refused-session-closed = Essa sessão já terminou.

setting-radius-session-retention-days = Guardar registros de conexão por (dias)
setting-radius-session-retention-days-hint = No mínimo 365: o Marco Civil da Internet (art. 13) exige um ano. Sessões encerradas mais antigas são apagadas toda noite.
setting-radius-auth-log-retention-days = Guardar o log de autenticação por (dias)
setting-radius-auth-log-retention-days-hint = Entradas de aceite e recusa mais antigas são apagadas toda noite.
