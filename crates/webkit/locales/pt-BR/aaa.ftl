# Configurações do servidor RADIUS (lidas pelo RADIUS em todos os nós).
settings-radius = RADIUS
setting-radius-session-timeout = Tempo máximo de sessão (segundos)
setting-radius-session-timeout-hint = Enviado como Session-Timeout em todo Access-Accept; 0 não envia.
setting-radius-interim-interval = Intervalo de contabilização (segundos)
setting-radius-interim-interval-hint = Enviado como Acct-Interim-Interval: de quanto em quanto tempo os roteadores informam o consumo; 0 não envia.
setting-radius-stale-after-missed-interims = Encerrar sessões após atualizações perdidas
setting-radius-stale-after-missed-interims-hint = Uma sessão sem contabilização por esse número de intervalos é encerrada como inativa; 0 nunca encerra.
setting-radius-simultaneous-use = Sessões simultâneas por contrato
setting-radius-simultaneous-use-hint = Um login com esse número de sessões abertas é recusado; 0 é ilimitado.
setting-radius-restricted-address-list = Address list de bloqueio
setting-radius-restricted-address-list-hint = Address list do MikroTik para assinantes suspensos em planos que restringem em vez de recusar (o roteador redireciona para a página de pagamento).
setting-radius-restricted-pool = Pool de endereços de bloqueio
setting-radius-restricted-pool-hint = Pool de onde os assinantes suspensos recebem o endereço (Framed-Pool); vazio mantém o endereço de sempre.
setting-radius-restricted-kbps = Velocidade no bloqueio (kbit/s)
setting-radius-restricted-kbps-hint = Velocidade do perfil de bloqueio, nos dois sentidos; 0 não envia.
setting-radius-log-accepts = Registrar logins aceitos
setting-radius-log-accepts-hint = Recusas são sempre registradas com o motivo; registrar todo login aceito acrescenta uma escrita no banco por login.
