# Navegação
nav-main = Navegação principal
nav-menu = Menu
nav-dashboard = Painel
nav-customers = Clientes
nav-plans = Planos
nav-billing = Financeiro
nav-network = Rede
nav-support = Atendimento
nav-map = Mapa
nav-reports = Relatórios
nav-administration = Administração
nav-users = Usuários
nav-roles = Perfis de acesso
nav-audit = Auditoria
nav-jobs = Tarefas
nav-security = Segurança
nav-settings = Configurações
nav-account = Minha conta
nav-soon = em breve
nav-soon-title = Esta área chega em uma próxima versão
language = Idioma
locale-browser = O mesmo do navegador

# Ações
action-apply = Aplicar
action-back-to-login = Voltar ao login
action-cancel = Cancelar
action-continue = Continuar
action-copy = Copiar
action-delete = Excluir
action-filter = Filtrar
action-go-home = Ir para o painel
action-login = Entrar
action-logout = Sair
action-logout-everywhere = Sair de todos os dispositivos
action-save = Salvar alterações
action-verify = Verificar
yes = Sim
no = Não
optional = (opcional)
empty-results = Nada corresponde a estes filtros.
pager-first = Primeira página
pager-next = Próxima página
pager-older = Registros anteriores
filter-all-roles = Todos os perfis
filter-any-status = Qualquer situação
filter-from = De
filter-to = Até
status-active = Ativo
status-disabled = Desativado

# Confirmações
confirm-delete-role = Excluir este perfil? Não é possível desfazer.
confirm-disable-2fa = Desativar a verificação em duas etapas da sua conta?
confirm-lift-ban = Liberar este bloqueio agora?
confirm-logout-everywhere = Encerrar todas as sessões desta conta, em todos os dispositivos?
confirm-reset-2fa = Remover a verificação em duas etapas deste usuário? Ele precisará configurá-la de novo.
confirm-revoke-token = Revogar este token? Os scripts que o usam deixarão de funcionar.

# Mensagens
flash-setup-done = Configuração concluída. Bem-vindo ao Lastmile!
flash-saved = Alterações salvas.
flash-user-created = Usuário criado.
flash-password-set = Senha definida. As sessões do usuário foram encerradas.
flash-2fa-reset = Verificação em duas etapas removida.
flash-logged-out-everywhere = Todas as sessões foram encerradas.
flash-logged-out = Você saiu.
flash-role-created = Perfil criado.
flash-role-deleted = Perfil excluído.
flash-refused-role-builtin = Perfis padrão não podem ser excluídos.
flash-refused-role-in-use = Este perfil ainda tem usuários; mova-os para outro perfil antes.
flash-ban-lifted = Bloqueio liberado.
flash-password-changed = Senha alterada. Suas outras sessões foram encerradas.
flash-password-reset = Senha alterada. Entre com a nova senha.
flash-session-expired = Sua sessão expirou. Entre novamente.
flash-token-created = Token criado.
flash-token-revoked = Token revogado.
flash-2fa-restarted = Uma nova chave foi gerada. Escaneie o novo código.
flash-2fa-disabled = Verificação em duas etapas desativada.

# Erros
error-forbidden = Você não tem permissão para fazer isto.
error-not-found = Esta página não existe.
error-invalid = Alguns dos dados enviados não são válidos.
error-conflict = Isto já existe.
error-conflict-field = Este { $what } já está em uso.
error-refused = Esta ação foi recusada.
error-internal = Algo deu errado do nosso lado. O erro foi registrado; tente de novo em instantes.
refused-setup-done = A configuração inicial já foi concluída nesta instalação.
refused-bad-credentials = Usuário ou senha incorretos.
refused-banned = Muitas tentativas sem sucesso a partir deste endereço. Tente mais tarde ou peça a um administrador para liberar o bloqueio.
refused-throttled = { $seconds ->
    [one] Muitas tentativas sem sucesso a partir deste endereço. Aguarde um segundo e tente de novo.
   *[other] Muitas tentativas sem sucesso a partir deste endereço. Aguarde { $seconds } segundos e tente de novo.
}
refused-ip-not-allowed = O acesso não é permitido a partir do seu endereço de rede.
refused-session-expired = Sua sessão expirou. Entre novamente.
refused-bad-code = Código inválido. Use o código atual do aplicativo ou um código de recuperação não usado.
refused-last-admin = Este é o último administrador ativo: dê o perfil admin a outro usuário antes.
refused-role-builtin = Perfis padrão não podem ser excluídos.
refused-role-in-use = Este perfil ainda tem usuários.
refused-reset-invalid = Este link de redefinição é inválido, já foi usado ou expirou. Peça um novo.
refused-2fa-already-enabled = A verificação em duas etapas já está ativa.
refused-2fa-not-started = Comece a configuração novamente.
refused-2fa-required = Seu perfil exige verificação em duas etapas; ela não pode ser desativada.
refused-ban-not-active = Este bloqueio não está mais ativo.
refused-token-revoked = Este token já foi revogado.
refused-repricing-changed = Os contratos a reajustar mudaram desde a prévia. Gere a prévia de novo.
refused-contract-changed = Este contrato foi alterado nesse meio-tempo. Recarregue e tente de novo.
invalid-required = Campo obrigatório.
invalid-too-long = Texto longo demais.
invalid-username = Use de 3 a 32 caracteres: letras minúsculas, números, pontos, hífens ou sublinhados.
invalid-email = Informe um e-mail válido.
invalid-password-short = Use pelo menos 10 caracteres.
invalid-password-long = Use no máximo 256 caracteres.
invalid-timezone = Escolha um fuso horário da lista.
invalid-country = Use o código do país com duas letras, como BR ou US.
invalid-currency = Use o código da moeda com três letras, como BRL ou USD.
invalid-invalid = Valor inválido
invalid-mismatch = As duas senhas não conferem.
invalid-cpf = Informe um CPF válido (11 dígitos; os dígitos verificadores não conferem).
invalid-cnpj = Informe um CNPJ válido (14 caracteres; os dígitos verificadores não conferem).
invalid-document = Informe um documento fiscal válido.
invalid-cep = Informe um CEP com 8 dígitos, como 01310-100.
invalid-phone = Informe um telefone válido, com DDD.
invalid-date = Informe a data como AAAA-MM-DD.
invalid-amount = Informe um valor como 99,90.
invalid-range = Este valor está fora do intervalo permitido.
invalid-choice = Escolha uma das opções.
invalid-login = Use de 3 a 64 caracteres, começando por letra ou número: letras minúsculas, números, pontos, hífens, sublinhados ou @.
invalid-mac = Informe um endereço MAC como AA:BB:CC:DD:EE:FF.
invalid-ipv4 = Informe um endereço IPv4 como 192.0.2.10.
invalid-ipv6-prefix = Informe um prefixo IPv6 como 2001:db8:1::/48.
invalid-coordinates = A latitude deve estar entre -90 e 90 e a longitude entre -180 e 180.
invalid-control-character = Não pode conter caracteres de controle (como bip ou escape) nem sobreposições de direção do texto; campos de uma linha não aceitam quebras de linha nem tabulações.
invalid-prefix = Informe um prefixo IP como 192.0.2.0/24 ou 2001:db8::/48.
invalid-ip-address = Informe um endereço IP como 192.0.2.10 ou 2001:db8::1.
invalid-not-inside = Deve estar dentro do prefixo que o contém.
invalid-overlaps = Sobrepõe outro pool.
invalid-in-dynamic-pool = Este endereço está dentro de um pool dinâmico; endereços fixos vêm de pools estáticos.

# Permissões
perm-dashboard-view = Ver o painel
perm-users-view = Ver usuários da equipe
perm-users-manage = Criar e editar usuários da equipe
perm-roles-manage = Gerenciar perfis e permissões
perm-audit-view = Ler a auditoria
perm-jobs-view = Ver tarefas em segundo plano
perm-jobs-manage = Reexecutar e gerenciar tarefas
perm-settings-view = Ver configurações
perm-settings-manage = Alterar configurações
perm-security-manage = Gerenciar bloqueios e segurança de acesso
perm-system-view = Ver a saúde do sistema
perm-customers-view = Ver clientes, contratos e linhas do tempo
perm-customers-manage = Criar e editar clientes, endereços e anotações
perm-customers-documents = Ver e verificar documentos de identidade (KYC)
perm-customers-import = Importar e exportar clientes e contratos (CSV)
perm-plans-view = Ver planos e itens de serviço
perm-plans-manage = Criar e editar planos e reajustar contratos
perm-contracts-manage = Criar contratos, trocar planos e credenciais
perm-contracts-status = Ativar, suspender e cancelar contratos
perm-radius-view = Ver roteadores (NAS), sessões online e o log de autenticação
perm-radius-manage = Gerenciar roteadores (NAS) e derrubar sessões
perm-radius-lookup = Responder "quem usava este IP" (ordens judiciais)
perm-billing-view = Ver faturas, notas de crédito, impostos e faturamentos
perm-billing-manage = Gerir impostos e executar o faturamento
perm-billing-void = Cancelar faturas e emitir notas de crédito

# Campos
field-2fa = 2FA
field-code = Código
field-company = Nome da empresa
field-confirm-password = Repita a nova senha
field-country = País (código ISO)
field-created = Criado em
field-currency = Moeda (código ISO)
field-current-password = Senha atual
field-display-name = Nome completo
field-email = E-mail
field-ip-allowlist = IPs permitidos
field-last-login = Último acesso
field-legal-document = Documento (CNPJ, identificação fiscal)
field-locale = Idioma padrão
field-logo = Logotipo
field-name = Nome
field-new-password = Nova senha
field-password = Senha
field-permissions = Permissões
field-role = Perfil
field-status = Situação
field-timezone = Fuso horário
field-username = Usuário
hint-ip-allowlist = Um endereço ou rede CIDR por linha (IPv4 ou IPv6), ex.: 203.0.113.0/24. Vazio permite qualquer endereço.
hint-logo = PNG, JPEG ou WebP, até 512 KiB. Aparece no painel e, mais adiante, nas faturas.
allowlist-any = qualquer endereço

# Configuração inicial
setup-title = Configurar o Lastmile
setup-intro = Conte sobre a sua empresa e crie o primeiro administrador. Isto acontece uma única vez.
setup-company = Sua empresa
setup-admin = Primeiro administrador
setup-enrol-2fa = Configurar a verificação em duas etapas logo após este passo (recomendado)
setup-submit = Concluir configuração

# Login e senha
login-title = Entrar
login-intro = Entre para gerenciar sua rede e seus assinantes.
login-forgot = Esqueceu a senha?
twofa-title = Verificação em duas etapas
twofa-login-intro = Digite o código de 6 dígitos do seu aplicativo autenticador.
twofa-recovery-hint = Perdeu o celular? Digite um dos seus códigos de recuperação.
reset-title = Redefinir a senha
reset-intro = Informe o e-mail da sua conta e enviaremos um link para escolher uma nova senha.
reset-send = Enviar link
reset-sent = Se houver uma conta com esse e-mail, o link já está a caminho. Ele vale por uma hora.
reset-choose = Escolha uma nova senha

# Painel
dash-users = Usuários da equipe
dash-sessions = Sessões ativas
dash-audit-today = Registros de auditoria (24 h)
dash-bans = Bloqueios ativos
dash-health = Saúde do sistema
dash-database = Banco de dados
dash-db-size = Tamanho do banco
dash-next-title = Próximos passos
dash-next-intro = Algumas coisas para concluir antes de sua equipe começar.
dash-next-2fa = Ative a verificação em duas etapas na sua conta
dash-next-users = Convide sua equipe: financeiro, atendimento e técnicos
dash-next-email = Configure o envio de e-mails
dash-next-backup = Confira as configurações do backup diário

# Usuários
users-search = Buscar nome, usuário ou e-mail
users-new = Novo usuário
users-create = Criar usuário
users-edit = Editar usuário
users-profile = Perfil
users-security = Segurança
users-disabled = Conta desativada (não consegue entrar)
users-set-password = Definir nova senha
users-reset-2fa = Remover 2FA
users-history = Ver o histórico deste usuário na auditoria

# Perfis
roles-intro = Um perfil é um conjunto de permissões. Perfis padrão não podem ser alterados, mas você pode restringir de onde eles acessam.
roles-new = Novo perfil
roles-create = Criar perfil
roles-edit = Editar perfil
roles-builtin = padrão
roles-builtin-note = Este é um perfil padrão: nome e permissões são fixos. Você pode definir os IPs permitidos.

# Auditoria
audit-when = Quando
audit-actor = Quem
audit-action = Ação
audit-entity = Registro
audit-source = Endereço
audit-hash = Hash da cadeia
audit-before = Antes
audit-after = Depois

# Segurança
security-bans = Bloqueios ativos
security-bans-intro = Endereços bloqueados após muitas tentativas de acesso sem sucesso. Contas nunca são bloqueadas: as falhas só deixam mais lentas as novas tentativas nessa conta a partir do mesmo endereço.
security-kind = Tipo
security-kind-ip = Endereço
security-kind-account = Conta
security-subject = Bloqueado
security-reason = Motivo
security-until = Até
security-lift = Liberar
security-no-bans = Nenhum bloqueio ativo.
security-failures = Acessos recusados recentes
failure-bad-password = Senha incorreta
failure-bad-totp = Código 2FA incorreto
failure-ip-not-allowed = Endereço não permitido
failure-disabled = Conta desativada

# Configurações
settings-company = Empresa
settings-security = Segurança
settings-email = E-mail
settings-backup = Backups
setting-security-session-idle-minutes = Tempo de inatividade (minutos)
setting-security-session-idle-minutes-hint = A equipe sai automaticamente após este tempo sem atividade.
setting-security-session-absolute-hours = Duração máxima da sessão (horas)
setting-security-session-absolute-hours-hint = Após este tempo é preciso entrar de novo, com ou sem atividade.
setting-security-require-2fa-roles = Perfis que devem usar 2FA
setting-security-require-2fa-roles-hint = Nomes de perfis separados por vírgula, ex.: admin,finance. Os usuários configuram no próximo acesso.
setting-security-login-max-failures-ip = Falhas de acesso antes de bloquear um endereço
setting-security-login-max-failures-ip-hint = Contadas dentro da janela abaixo.
setting-security-login-max-failures-account = Falhas de acesso de uma conta a partir de um endereço antes das esperas
setting-security-login-max-failures-account-hint = Contadas dentro da janela abaixo. Cada nova tentativa desse endereço espera o dobro (15 s, 30 s, 60 s…, no máximo a duração do bloqueio). Navegadores que já entraram na conta antes não esperam. A mesma contagem somando todos os endereços envia um e-mail ao dono da conta e aos administradores (uma vez por janela).
setting-security-login-window-minutes = Janela de contagem (minutos)
setting-security-login-window-minutes-hint = Falhas mais antigas que isto deixam de contar.
setting-security-ban-minutes = Duração do bloqueio (minutos)
setting-security-ban-minutes-hint = Quanto tempo dura o bloqueio de um endereço, se não for liberado antes; também a maior espera entre tentativas.
setting-security-nftables-export = Exportar endereços bloqueados para o nftables
setting-security-nftables-export-hint = Grava os endereços bloqueados em um arquivo de conjunto do nftables no diretório de dados.
setting-email-smtp-host = Servidor SMTP
setting-email-smtp-host-hint = Nome do seu servidor ou provedor de e-mail.
setting-email-smtp-port = Porta SMTP
setting-email-smtp-port-hint = Normalmente 587 (STARTTLS) ou 465 (TLS).
setting-email-smtp-security = Segurança da conexão
setting-email-smtp-security-hint = starttls, tls, ou none (só para um servidor na sua própria rede).
setting-email-smtp-username = Usuário SMTP
setting-email-smtp-username-hint = Deixe vazio se o servidor não exige autenticação.
setting-email-smtp-password = Senha SMTP
setting-email-smtp-password-hint = Guardada criptografada. Deixe vazio para manter a atual.
setting-email-from-address = Remetente
setting-email-from-address-hint = O endereço de onde as mensagens saem, ex.: noc@seuprovedor.com.br.
setting-backup-enabled = Backups diários
setting-backup-enabled-hint = Faz backup do banco todos os dias no diretório de dados.
setting-backup-hour = Horário do backup
setting-backup-hour-hint = Hora do dia (0–23) no fuso horário da empresa.
setting-backup-retention-days = Manter backups por (dias)
setting-backup-retention-days-hint = Backups mais antigos são apagados automaticamente.

# Conta
account-profile = Perfil
account-password = Senha
account-change-password = Alterar senha
account-sessions = Onde você está conectado
account-browser = Navegador
account-last-seen = Última atividade
account-this-session = este navegador
twofa-on = Ativada
twofa-off = Desativada
twofa-off-hint = Proteja sua conta com um código de um aplicativo autenticador.
twofa-manage = Gerenciar verificação em duas etapas
twofa-recovery-left = { $count ->
    [one] Resta um código de recuperação não usado.
   *[other] Restam { $count } códigos de recuperação não usados.
}
twofa-required = Seu perfil exige verificação em duas etapas. Configure-a para continuar.
twofa-required-note = Seu perfil exige verificação em duas etapas, por isso ela continua ativa.
twofa-step-app = Instale um aplicativo autenticador (como Aegis, Google Authenticator, Microsoft Authenticator ou 1Password).
twofa-step-scan = Escaneie este código com o aplicativo.
twofa-manual = Não consegue escanear? Digite esta chave:
twofa-step-code = Digite o código de 6 dígitos que o aplicativo mostra.
twofa-enable = Ativar 2FA
twofa-disable = Desativar 2FA
twofa-enabled-title = A verificação em duas etapas está ativa
twofa-recovery-intro = Guarde estes códigos de recuperação em local seguro. Cada um funciona uma vez, se você perder o celular. Eles não serão mostrados de novo.
tokens-title = Tokens de API
tokens-intro = Tokens permitem que scripts e outros sistemas usem a API REST em seu nome, limitados aos escopos que você escolher.
tokens-name = Nome do token
tokens-scopes = Escopos
tokens-all = Todas as minhas permissões
tokens-create = Criar token
tokens-created = Seu novo token
tokens-shown-once = Copie agora: ele é mostrado uma única vez e guardado apenas como hash.
tokens-prefix = Começa com
tokens-last-used = Último uso
tokens-revoke = Revogar
tokens-revoked = revogado
tokens-none = Nenhum token ainda.
api-docs-title = Referência da API
api-docs-intro = Todas as operações da API REST do Lastmile, geradas a partir do documento OpenAPI publicado pelo servidor. Crie um token na página da sua conta e envie-o em cada requisição.
api-docs-version = Versão
api-docs-auth = Autenticação
api-docs-document = Documento OpenAPI 3.1
api-docs-pagination = Listas retornam data (a página) e next_cursor. Envie next_cursor como ?cursor= para a próxima página; ele é null na última. ?limit= aceita de 1 a 200 (padrão 50).
api-docs-operations = Operações
api-docs-method = Método
api-docs-path = Caminho
api-docs-summary = Resumo
api-docs-scope = Escopo exigido
api-docs-scope-any = qualquer token válido
api-docs-tag = Área
api-docs-request = Corpo da requisição
api-docs-parameters = Parâmetros
api-docs-name = Nome
api-docs-in = Em
api-docs-type = Tipo
api-docs-description = Descrição
api-docs-required = obrigatório
api-docs-responses = Respostas
api-docs-status = Status
api-docs-problems = Erros
api-docs-problems-intro = Todo erro é um documento application/problem+json (RFC 9457) com type, title, status e detail; erros de validação incluem errors: uma lista de field, code e message, e recusas por falta de permissão nomeiam a permissão.
api-docs-schemas = Esquemas
