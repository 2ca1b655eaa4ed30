## Tarefas em segundo plano e e-mail de saída

jobs-all = Todas
jobs-kind = Tipo
jobs-queue-lag = Atraso da fila
jobs-progress = Progresso
jobs-attempts = Tentativas
jobs-run-at = Prevista para
jobs-created = Criada
jobs-started = Iniciada
jobs-finished = Concluída
jobs-worker = Executor
jobs-lease-until = Reservada até
jobs-error = Último erro
jobs-payload = Dados
jobs-retry-now = Tentar de novo agora
confirm-retry-job = Colocar esta tarefa de volta na fila agora, com novas tentativas?
job-status-queued = Na fila
job-status-running = Em execução
job-status-succeeded = Concluída
job-status-failed = Falhou, será repetida
job-status-dead = Esgotada
flash-job-retried = A tarefa voltou para a fila.
flash-refused-job-not-retryable = Só tarefas que falharam ou se esgotaram podem ser repetidas.
refused-job-not-retryable = Só tarefas que falharam ou se esgotaram podem ser repetidas.

email-test-title = Enviar um e-mail de teste
email-test-intro = Salve as configurações antes. A mensagem passa pela fila de saída como qualquer outro e-mail; o resultado aparece abaixo em até um minuto.
email-test-to = Destinatário
email-test-send = Enviar e-mail de teste
email-outbox-title = E-mails enviados recentemente
email-outbox-none = Nenhum e-mail enviado ainda.
email-outbox-to = Para
email-outbox-subject = Assunto
email-status-pending = Aguardando
email-status-sent = Enviado
email-status-failed = Falhou
flash-test-email-queued = E-mail de teste na fila. O resultado aparece na lista abaixo.
flash-test-email-bad-address = Informe um endereço de e-mail válido para o teste.
flash-refused-email-not-configured = Configure antes o servidor SMTP e o endereço do remetente.
refused-email-not-configured = Configure antes o servidor SMTP e o endereço do remetente.

dash-nodes = Nós
dash-node = Nó
dash-cpu = CPU
dash-memory = Memória
dash-disk = Disco (dados)
dash-process = Memória do Lastmile
dash-heartbeat = Último sinal
dash-node-stale = sem resposta
dash-no-nodes = Nenhum nó se apresentou ainda.
dash-jobs-running = { $count } em execução
dash-jobs-queued = { $count } na fila
dash-jobs-failing = { $count ->
    [one] uma tarefa com falha
   *[other] { $count } tarefas com falha
}
