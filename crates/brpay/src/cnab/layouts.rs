//! The layouts as data: one table of fields per record, FEBRABAN's CNAB 240
//! as the base and each bank's differences as a table of fields that replace
//! the base ones they overlap.
//!
//! Sources: FEBRABAN "Layout Padrão CNAB 240 posições" v10 (as reproduced in
//! Banco do Brasil's "CNAB 240 – Agosto 2017" and Caixa's "Leiaute de
//! Arquivo Eletrônico CNAB240"), Santander's "Layout Cobrança CNAB 240
//! posições" (H7815), Bradesco's "Cobrança – Layout do Arquivo Retorno/Remessa
//! 400 posições" and Itaú's "Cobrança 400 bytes CNAB" (Jul/2021). Positions
//! were checked against the sample files in the steering repository's
//! `shared/samples/cnab` (the tests check them again when `LASTMILE_SAMPLES`
//! names that folder). The other banks' CNAB 400 tables name their manual
//! next to them; the crate README says which were also checked against a
//! file.

use super::{Direction, Field, FieldKind, Format, Layout, RecordLayout};
use crate::boleto::banks::Bank;
use std::sync::OnceLock;

use FieldKind::{Alpha as A, Date6 as D6, Date8 as D8, DateYmd as DY, Money as M, Num as N};

const fn f(name: &'static str, start: u16, end: u16, kind: FieldKind) -> Field {
    Field {
        name,
        start,
        end,
        kind,
        constant: None,
    }
}

const fn c(
    name: &'static str,
    start: u16,
    end: u16,
    kind: FieldKind,
    value: &'static str,
) -> Field {
    Field {
        name,
        start,
        end,
        kind,
        constant: Some(value),
    }
}

// ---------------------------------------------------------------- CNAB 240

const H240: &[Field] = &[
    f("banco", 1, 3, N),
    c("lote", 4, 7, N, "0000"),
    c("tipo_registro", 8, 8, N, "0"),
    f("brancos_1", 9, 17, A),
    f("inscricao_tipo", 18, 18, N),
    f("inscricao", 19, 32, N),
    f("convenio", 33, 52, A),
    f("agencia", 53, 57, N),
    f("agencia_dv", 58, 58, A),
    f("conta", 59, 70, N),
    f("conta_dv", 71, 71, A),
    f("agencia_conta_dv", 72, 72, A),
    f("empresa_nome", 73, 102, A),
    f("banco_nome", 103, 132, A),
    f("brancos_2", 133, 142, A),
    f("arquivo_codigo", 143, 143, N),
    f("data_geracao", 144, 151, D8),
    f("hora_geracao", 152, 157, A),
    f("nsa", 158, 163, N),
    f("versao_layout", 164, 166, A),
    f("densidade", 167, 171, A),
    f("reservado_banco", 172, 191, A),
    f("reservado_empresa", 192, 211, A),
    f("brancos_3", 212, 240, A),
];

const HL240: &[Field] = &[
    f("banco", 1, 3, N),
    f("lote", 4, 7, N),
    c("tipo_registro", 8, 8, N, "1"),
    f("operacao", 9, 9, A),
    c("servico", 10, 11, N, "01"),
    f("brancos_1", 12, 13, A),
    f("versao_layout", 14, 16, A),
    f("brancos_2", 17, 17, A),
    f("inscricao_tipo", 18, 18, N),
    f("inscricao", 19, 33, N),
    f("convenio", 34, 53, A),
    f("agencia", 54, 58, N),
    f("agencia_dv", 59, 59, A),
    f("conta", 60, 71, N),
    f("conta_dv", 72, 72, A),
    f("agencia_conta_dv", 73, 73, A),
    f("empresa_nome", 74, 103, A),
    f("mensagem_1", 104, 143, A),
    f("mensagem_2", 144, 183, A),
    f("numero_remessa", 184, 191, N),
    f("data_gravacao", 192, 199, D8),
    f("data_credito", 200, 207, D8),
    f("brancos_3", 208, 240, A),
];

/// Positions 1–17 of every detail segment (`segment` at 14).
macro_rules! seg_head {
    ($seg:literal) => {
        [
            f("banco", 1, 3, N),
            f("lote", 4, 7, N),
            c("tipo_registro", 8, 8, N, "3"),
            f("sequencial", 9, 13, N),
            c("segmento", 14, 14, A, $seg),
            f("brancos_0", 15, 15, A),
            f("movimento", 16, 17, N),
        ]
    };
}

const P240_TAIL: &[Field] = &[
    f("agencia", 18, 22, N),
    f("agencia_dv", 23, 23, A),
    f("conta", 24, 35, N),
    f("conta_dv", 36, 36, A),
    f("agencia_conta_dv", 37, 37, A),
    f("nosso_numero", 38, 57, A),
    f("carteira", 58, 58, A),
    f("cadastramento", 59, 59, A),
    f("tipo_documento", 60, 60, A),
    f("emissao_boleto", 61, 61, A),
    f("distribuicao", 62, 62, A),
    f("seu_numero", 63, 77, A),
    f("vencimento", 78, 85, D8),
    f("valor", 86, 100, M),
    f("agencia_cobradora", 101, 105, N),
    f("agencia_cobradora_dv", 106, 106, A),
    f("especie", 107, 108, A),
    f("aceite", 109, 109, A),
    f("emissao", 110, 117, D8),
    f("juros_codigo", 118, 118, A),
    f("juros_data", 119, 126, D8),
    f("juros_valor", 127, 141, M),
    f("desconto_codigo", 142, 142, A),
    f("desconto_data", 143, 150, D8),
    f("desconto_valor", 151, 165, M),
    f("iof", 166, 180, M),
    f("abatimento", 181, 195, M),
    f("uso_empresa", 196, 220, A),
    f("protesto_codigo", 221, 221, A),
    f("protesto_prazo", 222, 223, A),
    f("baixa_codigo", 224, 224, A),
    f("baixa_prazo", 225, 227, A),
    f("moeda", 228, 229, A),
    f("contrato", 230, 239, A),
    f("uso_livre", 240, 240, A),
];

const Q240_TAIL: &[Field] = &[
    f("sacado_inscricao_tipo", 18, 18, N),
    f("sacado_inscricao", 19, 33, N),
    f("sacado_nome", 34, 73, A),
    f("sacado_endereco", 74, 113, A),
    f("sacado_bairro", 114, 128, A),
    f("sacado_cep", 129, 136, N),
    f("sacado_cidade", 137, 151, A),
    f("sacado_uf", 152, 153, A),
    f("avalista_inscricao_tipo", 154, 154, A),
    f("avalista_inscricao", 155, 169, A),
    f("avalista_nome", 170, 209, A),
    f("banco_correspondente", 210, 212, A),
    f("nosso_numero_correspondente", 213, 232, A),
    f("brancos_1", 233, 240, A),
];

const R240_TAIL: &[Field] = &[
    f("desconto2_codigo", 18, 18, A),
    f("desconto2_data", 19, 26, D8),
    f("desconto2_valor", 27, 41, M),
    f("desconto3_codigo", 42, 42, A),
    f("desconto3_data", 43, 50, D8),
    f("desconto3_valor", 51, 65, M),
    f("multa_codigo", 66, 66, A),
    f("multa_data", 67, 74, D8),
    f("multa_valor", 75, 89, M),
    f("informacao_sacado", 90, 99, A),
    f("mensagem_3", 100, 139, A),
    f("mensagem_4", 140, 179, A),
    f("brancos_1", 180, 199, A),
    f("ocorrencia_sacado", 200, 207, A),
    f("debito_banco", 208, 210, A),
    f("debito_agencia", 211, 215, A),
    f("debito_agencia_dv", 216, 216, A),
    f("debito_conta", 217, 228, A),
    f("debito_conta_dv", 229, 229, A),
    f("debito_agencia_conta_dv", 230, 230, A),
    f("aviso_debito", 231, 231, A),
    f("brancos_2", 232, 240, A),
];

const T240_TAIL: &[Field] = &[
    f("agencia", 18, 22, N),
    f("agencia_dv", 23, 23, A),
    f("conta", 24, 35, N),
    f("conta_dv", 36, 36, A),
    f("agencia_conta_dv", 37, 37, A),
    f("nosso_numero", 38, 57, A),
    f("carteira", 58, 58, A),
    f("seu_numero", 59, 73, A),
    f("vencimento", 74, 81, D8),
    f("valor", 82, 96, M),
    f("banco_cobrador", 97, 99, A),
    f("agencia_cobradora", 100, 104, A),
    f("agencia_cobradora_dv", 105, 105, A),
    f("uso_empresa", 106, 130, A),
    f("moeda", 131, 132, A),
    f("sacado_inscricao_tipo", 133, 133, A),
    f("sacado_inscricao", 134, 148, A),
    f("sacado_nome", 149, 188, A),
    f("contrato", 189, 198, A),
    f("tarifa", 199, 213, M),
    f("motivo_ocorrencia", 214, 223, A),
    f("brancos_1", 224, 240, A),
];

const U240_TAIL: &[Field] = &[
    f("juros_multa", 18, 32, M),
    f("desconto", 33, 47, M),
    f("abatimento", 48, 62, M),
    f("iof", 63, 77, M),
    f("valor_pago", 78, 92, M),
    f("valor_liquido", 93, 107, M),
    f("outras_despesas", 108, 122, M),
    f("outros_creditos", 123, 137, M),
    f("data_ocorrencia", 138, 145, D8),
    f("data_credito", 146, 153, D8),
    f("ocorrencia_sacado_codigo", 154, 157, A),
    f("ocorrencia_sacado_data", 158, 165, A),
    f("ocorrencia_sacado_valor", 166, 180, A),
    f("ocorrencia_sacado_complemento", 181, 210, A),
    f("banco_correspondente", 211, 213, A),
    f("nosso_numero_correspondente", 214, 233, A),
    f("brancos_1", 234, 240, A),
];

const TL240: &[Field] = &[
    f("banco", 1, 3, N),
    f("lote", 4, 7, N),
    c("tipo_registro", 8, 8, N, "5"),
    f("brancos_1", 9, 17, A),
    f("quantidade_registros", 18, 23, N),
    f("totais", 24, 240, A),
];

const TA240: &[Field] = &[
    f("banco", 1, 3, N),
    // FEBRABAN says 9999; Santander's files carry their batch number here
    f("lote", 4, 7, N),
    c("tipo_registro", 8, 8, N, "9"),
    f("brancos_1", 9, 17, A),
    f("quantidade_lotes", 18, 23, N),
    f("quantidade_registros", 24, 29, N),
    f("brancos_2", 30, 240, A),
];

// Santander (H7815): its header, batch header and segment T place the
// agency, account and beneficiary code differently.
const SANTANDER_H240: &[Field] = &[
    f("brancos_1", 9, 16, A),
    f("inscricao_tipo", 17, 17, N),
    f("inscricao", 18, 32, N),
    f("agencia", 33, 36, N),
    f("agencia_dv", 37, 37, A),
    f("conta", 38, 46, N),
    f("conta_dv", 47, 47, A),
    f("brancos_4", 48, 52, A),
    f("codigo_beneficiario", 53, 61, N),
    f("brancos_5", 62, 72, A),
    f("hora_geracao", 152, 157, A),
];
const SANTANDER_HL240: &[Field] = &[
    f("codigo_beneficiario", 34, 42, N),
    f("brancos_4", 43, 53, A),
    f("agencia", 54, 57, N),
    f("agencia_dv", 58, 58, A),
    f("conta", 59, 67, N),
    f("conta_dv", 68, 68, A),
    f("brancos_5", 69, 73, A),
];
const SANTANDER_T240: &[Field] = &[
    f("agencia", 18, 21, N),
    f("agencia_dv", 22, 22, A),
    f("conta", 23, 31, N),
    f("conta_dv", 32, 32, A),
    f("brancos_2", 33, 40, A),
    f("nosso_numero", 41, 53, A),
    f("carteira", 54, 54, A),
    f("seu_numero", 55, 69, A),
    f("vencimento", 70, 77, D8),
    f("valor", 78, 92, M),
    f("banco_cobrador", 93, 95, A),
    f("agencia_cobradora", 96, 99, A),
    f("agencia_cobradora_dv", 100, 100, A),
    f("uso_empresa", 101, 125, A),
    f("moeda", 126, 127, A),
    f("sacado_inscricao_tipo", 128, 128, A),
    f("sacado_inscricao", 129, 143, A),
    f("sacado_nome", 144, 183, A),
    f("contrato", 184, 193, A),
    f("tarifa", 194, 208, M),
    f("motivo_ocorrencia", 209, 218, A),
    f("brancos_1", 219, 240, A),
];
const SANTANDER_P240: &[Field] = &[
    f("agencia", 18, 21, N),
    f("agencia_dv", 22, 22, A),
    f("conta", 23, 31, N),
    f("conta_dv", 32, 32, A),
    f("conta_cobranca", 33, 41, A),
    f("conta_cobranca_dv", 42, 42, A),
    f("brancos_2", 43, 44, A),
    f("nosso_numero", 45, 57, A),
];

// Banco do Brasil's return batch header: its fields from 184 on are one
// column to the right of FEBRABAN's (as in BB's own return files).
const BB_HL240_RETORNO: &[Field] = &[
    f("mensagem_2", 144, 184, A),
    f("numero_remessa", 185, 192, N),
    f("data_gravacao", 193, 200, D8),
    f("data_credito", 201, 208, D8),
    f("brancos_3", 209, 240, A),
];

// Caixa (SIGCB): the beneficiary code replaces the account in segment P.
const CAIXA_P240: &[Field] = &[
    f("agencia", 18, 22, N),
    f("agencia_dv", 23, 23, A),
    f("codigo_beneficiario", 24, 29, N),
    f("uso_caixa", 30, 40, A),
    f("nosso_numero", 41, 57, A),
];

// ---------------------------------------------------------------- CNAB 400

const BRADESCO_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("codigo_empresa", 27, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "237"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("densidade", 101, 108, A),
    f("aviso_bancario", 109, 113, A),
    f("brancos_1", 114, 379, A),
    f("data_credito", 380, 385, D6),
    f("brancos_2", 386, 394, A),
    f("sequencial", 395, 400, N),
];

const BRADESCO_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("zeros_1", 18, 20, A),
    f("identificacao_empresa", 21, 37, A),
    f("uso_empresa", 38, 62, A),
    f("zeros_2", 63, 70, A),
    f("nosso_numero", 71, 82, A),
    f("uso_banco_1", 83, 92, A),
    f("uso_banco_2", 93, 104, A),
    f("rateio", 105, 105, A),
    f("pagamento_parcial", 106, 107, A),
    f("carteira", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("nosso_numero_banco", 127, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 173, A),
    f("especie", 174, 175, A),
    f("tarifa", 176, 188, M),
    f("outras_despesas", 189, 201, M),
    f("juros_atraso", 202, 214, M),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("outros_creditos", 280, 292, M),
    f("brancos_1", 293, 294, A),
    f("motivo_ocorrencia_codigo", 295, 295, A),
    f("data_credito", 296, 301, D6),
    f("origem_pagamento", 302, 304, A),
    f("brancos_2", 305, 314, A),
    f("cheque", 315, 318, A),
    f("motivo_ocorrencia", 319, 328, A),
    f("brancos_3", 329, 368, A),
    f("cartorio", 369, 370, A),
    f("protocolo", 371, 380, A),
    f("brancos_4", 381, 394, A),
    f("sequencial", 395, 400, N),
];

// Bradesco remittance, "Cobrança Bancária – Layout 400 posições"
// (manuais/BRADESCO/novos/400_posicoes.pdf), header and detail type 1.
const BRADESCO_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("codigo_empresa", 27, 46, N),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "237"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("brancos_1", 101, 108, A),
    f("sistema", 109, 110, A),
    f("nsa", 111, 117, N),
    f("brancos_2", 118, 394, A),
    f("sequencial", 395, 400, N),
];

const BRADESCO_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("debito_agencia", 2, 6, A),
    f("debito_agencia_dv", 7, 7, A),
    f("debito_razao", 8, 12, A),
    f("debito_conta", 13, 19, A),
    f("debito_conta_dv", 20, 20, A),
    f("identificacao_empresa", 21, 37, A),
    f("uso_empresa", 38, 62, A),
    f("banco_debito", 63, 65, A),
    f("multa_codigo", 66, 66, A),
    f("multa_percentual", 67, 70, N),
    f("nosso_numero", 71, 81, A),
    f("nosso_numero_dv", 82, 82, A),
    f("desconto_dia", 83, 92, M),
    f("emissao_boleto", 93, 93, A),
    f("debito_automatico", 94, 94, A),
    f("operacao_banco", 95, 104, A),
    f("rateio", 105, 105, A),
    f("aviso_debito", 106, 106, A),
    f("pagamento_parcial", 107, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    f("banco_cobrador", 140, 142, A),
    f("agencia_cobradora", 143, 147, A),
    f("especie", 148, 149, A),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, A),
    f("instrucao_2", 159, 160, A),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("iof", 193, 205, M),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("mensagem_1", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("mensagem_2", 335, 394, A),
    f("sequencial", 395, 400, N),
];

const TM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    f("brancos_1", 2, 394, A),
    f("sequencial", 395, 400, N),
];

const TR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    f("arquivo_codigo", 2, 2, N),
    f("servico", 3, 4, A),
    f("banco", 5, 7, N),
    f("totais", 8, 394, A),
    f("sequencial", 395, 400, N),
];

const ITAU_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("agencia", 27, 30, N),
    f("zeros_1", 31, 32, A),
    f("conta", 33, 37, N),
    f("conta_dv", 38, 38, A),
    f("brancos_1", 39, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "341"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("densidade", 101, 105, A),
    f("unidade_densidade", 106, 108, A),
    f("nsa", 109, 113, N),
    f("data_credito", 114, 119, D6),
    f("brancos_2", 120, 394, A),
    f("sequencial", 395, 400, N),
];

const ITAU_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("agencia", 18, 21, N),
    f("zeros_1", 22, 23, A),
    f("conta", 24, 28, N),
    f("conta_dv", 29, 29, A),
    f("brancos_1", 30, 37, A),
    f("uso_empresa", 38, 62, A),
    f("nosso_numero", 63, 70, A),
    f("brancos_2", 71, 82, A),
    f("carteira", 83, 85, A),
    f("nosso_numero_2", 86, 93, A),
    f("nosso_numero_dv", 94, 94, A),
    f("brancos_3", 95, 107, A),
    f("carteira_codigo", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("nosso_numero_3", 127, 134, A),
    f("brancos_4", 135, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 172, A),
    f("agencia_cobradora_dv", 173, 173, A),
    f("especie", 174, 175, A),
    f("tarifa", 176, 188, M),
    f("brancos_5", 189, 214, A),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("outros_creditos", 280, 292, M),
    f("dda", 293, 293, A),
    f("brancos_6", 294, 295, A),
    f("data_credito", 296, 301, D6),
    f("instrucao_cancelada", 302, 305, A),
    f("brancos_7", 306, 311, A),
    f("zeros_2", 312, 324, A),
    f("sacado_nome", 325, 354, A),
    f("brancos_8", 355, 377, A),
    f("erros", 378, 385, A),
    f("brancos_9", 386, 392, A),
    f("liquidacao", 393, 394, A),
    f("sequencial", 395, 400, N),
];

// ------------------------------------------------ CNAB 400, other banks
//
// Positions from the banks' manuals as kept in eduardokum/laravel-boleto's
// `manuais/` folder (file named in each comment). Where a manual calls a
// field numeric but real files are known to leave it blank, it is Alpha.

// Banco do Brasil, "CNAB400/CBR643 – Layout de Arquivo Retorno para
// convênios de 7 posições" (Jan/2014, manuais/BB/retorno.pdf). The detail
// record is type 7; the auxiliary records (types 2, 3, 5: shared collection,
// vendor) are not modelled.
const BB_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 19, A),
    f("brancos_1", 20, 26, A),
    f("agencia", 27, 30, N),
    f("agencia_dv", 31, 31, A),
    f("conta", 32, 39, N),
    f("conta_dv", 40, 40, A),
    f("zeros_1", 41, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "001"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("nsa", 101, 107, N),
    f("brancos_2", 108, 149, A),
    f("convenio", 150, 156, N),
    f("brancos_3", 157, 394, A),
    f("sequencial", 395, 400, N),
];

const BB_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "7"),
    f("zeros_1", 2, 17, A),
    f("agencia", 18, 21, N),
    f("agencia_dv", 22, 22, A),
    f("conta", 23, 30, N),
    f("conta_dv", 31, 31, A),
    f("convenio", 32, 38, N),
    f("uso_empresa", 39, 63, A),
    f("nosso_numero", 64, 80, A),
    f("tipo_cobranca", 81, 81, A),
    f("tipo_cobranca_72", 82, 82, A),
    f("dias_calculo", 83, 86, A),
    f("natureza_recebimento", 87, 88, A),
    f("prefixo_titulo", 89, 91, A),
    f("variacao_carteira", 92, 94, A),
    f("conta_caucao", 95, 95, A),
    f("taxa_desconto", 96, 100, A),
    f("taxa_iof", 101, 105, A),
    f("brancos_1", 106, 106, A),
    f("carteira", 107, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("brancos_2", 127, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 172, A),
    f("agencia_cobradora_dv", 173, 173, A),
    f("especie", 174, 175, A),
    f("data_credito", 176, 181, D6),
    f("tarifa", 182, 188, M),
    f("outras_despesas", 189, 201, M),
    f("juros_desconto", 202, 214, M),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("outros_creditos", 280, 292, M),
    f("abatimento_nao_aproveitado", 293, 305, M),
    f("valor_lancamento", 306, 318, M),
    f("debito_credito", 319, 319, A),
    f("indicador_valor", 320, 320, A),
    f("valor_ajuste", 321, 332, M),
    f("cobranca_compartilhada", 333, 390, A),
    f("liquidacao_parcial", 391, 391, A),
    f("brancos_3", 392, 392, A),
    f("canal_pagamento", 393, 394, A),
    f("sequencial", 395, 400, N),
];

// Santander, "Layout CNAB 400 com registro (padrão 353)" H7800, Apr/2018
// (manuais/SANTANDER/novos/H7800 …pdf): remittance and return.
const SANTANDER_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("codigo_transmissao", 27, 46, N),
    f("empresa_nome", 47, 76, A),
    f("banco", 77, 79, N),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("zeros_1", 101, 116, N),
    f("mensagem_1", 117, 163, A),
    f("mensagem_2", 164, 210, A),
    f("mensagem_3", 211, 257, A),
    f("mensagem_4", 258, 304, A),
    f("mensagem_5", 305, 351, A),
    f("brancos_1", 352, 391, A),
    f("versao", 392, 394, A),
    f("sequencial", 395, 400, N),
];

const SANTANDER_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("agencia", 18, 21, N),
    f("conta", 22, 29, N),
    f("conta_cobranca", 30, 37, N),
    f("uso_empresa", 38, 62, A),
    f("nosso_numero", 63, 70, A),
    f("desconto2_data", 71, 76, D6),
    f("brancos_1", 77, 77, A),
    f("multa_codigo", 78, 78, A),
    f("multa_percentual", 79, 82, N),
    f("unidade_valor", 83, 84, N),
    f("valor_outra_unidade", 85, 97, N),
    f("brancos_2", 98, 101, A),
    f("multa_data", 102, 107, D6),
    f("carteira", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    f("banco_cobrador", 140, 142, N),
    f("agencia_cobradora", 143, 147, N),
    f("especie", 148, 149, A),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, A),
    f("instrucao_2", 159, 160, A),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    // 9(8)v9(5): five decimals, so not centavos
    f("iof", 193, 205, N),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("sacado_bairro", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("sacado_cidade", 335, 349, A),
    f("sacado_uf", 350, 351, A),
    f("brancos_3", 352, 382, A),
    f("complemento_id", 383, 383, A),
    f("complemento", 384, 385, A),
    f("brancos_4", 386, 391, A),
    f("protesto_prazo", 392, 393, A),
    f("brancos_5", 394, 394, A),
    f("sequencial", 395, 400, N),
];

const SANTANDER_TM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    f("quantidade_registros", 2, 7, N),
    f("valor_total", 8, 20, M),
    f("zeros_1", 21, 394, N),
    f("sequencial", 395, 400, N),
];

const SANTANDER_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 26, A),
    f("agencia", 27, 30, N),
    f("conta", 31, 38, N),
    // blank in real files (kivanio/brcobranca spec/arquivos/CNAB400SANTANDER.RET)
    f("conta_cobranca", 39, 46, A),
    f("empresa_nome", 47, 76, A),
    f("banco", 77, 79, N),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("densidade", 101, 108, A),
    f("brancos_1", 109, 385, A),
    f("sigla_empresa", 386, 389, A),
    f("brancos_2", 390, 391, A),
    f("versao", 392, 394, A),
    f("sequencial", 395, 400, N),
];

const SANTANDER_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("agencia", 18, 21, N),
    f("conta", 22, 29, N),
    f("conta_cobranca", 30, 37, A),
    f("uso_empresa", 38, 62, A),
    f("nosso_numero", 63, 70, A),
    f("brancos_1", 71, 107, A),
    f("carteira", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("nosso_numero_2", 127, 134, A),
    f("ocorrencia_original", 135, 136, A),
    f("erros", 137, 145, A),
    f("brancos_2", 146, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 173, A),
    f("especie", 174, 175, A),
    f("tarifa", 176, 188, M),
    f("outras_despesas", 189, 201, M),
    f("juros_atraso", 202, 214, M),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("outros_creditos", 280, 292, M),
    f("brancos_3", 293, 293, A),
    f("aceite", 294, 294, A),
    f("brancos_4", 295, 295, A),
    f("data_credito", 296, 301, D6),
    f("sacado_nome", 302, 337, A),
    f("complemento_id", 338, 338, A),
    f("unidade_valor", 339, 340, A),
    f("valor_outra_unidade", 341, 353, A),
    f("iof_outra_unidade", 354, 366, A),
    // blank in real files when there is no debit or credit (CNAB400SANTANDER.RET)
    f("valor_lancamento", 367, 379, A),
    f("debito_credito", 380, 380, A),
    f("brancos_5", 381, 383, A),
    f("complemento", 384, 385, A),
    f("sigla_empresa", 386, 389, A),
    f("brancos_6", 390, 391, A),
    f("versao", 392, 394, A),
    f("sequencial", 395, 400, N),
];

// Caixa, "Leiaute de Arquivo Eletrônico Padrão CNAB 400 – Cobrança Bancária
// CAIXA – SIGCB" (67.126 v015, manuais/CEF/novos/400_posicoes.pdf), 3.6.7–3.6.9.
const CAIXA_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 26, A),
    f("agencia", 27, 30, N),
    f("codigo_beneficiario", 31, 37, N),
    f("uso_caixa_1", 38, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "104"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("mensagem", 101, 158, A),
    f("versao_layout", 159, 161, A),
    f("uso_caixa_2", 162, 389, A),
    f("nsa", 390, 394, N),
    f("sequencial", 395, 400, N),
];

const CAIXA_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("uso_caixa_1", 18, 20, A),
    f("codigo_beneficiario", 21, 27, N),
    f("emissao_boleto", 28, 28, A),
    f("distribuicao", 29, 29, A),
    f("uso_caixa_2", 30, 31, A),
    f("uso_empresa", 32, 56, A),
    f("modalidade", 57, 58, A),
    f("nosso_numero", 59, 73, A),
    f("uso_caixa_3", 74, 79, A),
    f("motivo_ocorrencia", 80, 82, A),
    f("uso_caixa_4", 83, 106, A),
    f("carteira", 107, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("uso_caixa_5", 127, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 173, A),
    f("especie", 174, 175, A),
    f("tarifa", 176, 188, M),
    f("canal_liquidacao", 189, 191, A),
    f("forma_pagamento", 192, 192, A),
    f("float", 193, 194, A),
    f("data_debito_tarifa", 195, 200, D6),
    f("uso_caixa_6", 201, 214, A),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("multa", 280, 292, M),
    f("moeda", 293, 293, A),
    f("data_credito", 294, 299, D6),
    f("uso_caixa_7", 300, 394, A),
    f("sequencial", 395, 400, N),
];

// Sicoob (Bancoob), "Manual Layout Sicoob" – leiaute do arquivo de retorno
// (manuais/BANCOOB-SICOOB/novos/Manual Layout Sicoob.pdf).
const SICOOB_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 26, A),
    f("codigo_empresa", 27, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "756"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("agencia", 101, 104, A),
    f("agencia_dv", 105, 105, A),
    f("conta", 106, 112, A),
    f("conta_dv", 113, 113, A),
    f("codigo_empresa_2", 114, 133, A),
    f("cedente_nome", 134, 233, A),
    f("brancos_1", 234, 394, A),
    f("sequencial", 395, 400, N),
];

const SICOOB_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("zeros_1", 18, 20, A),
    f("cooperativa", 21, 30, A),
    f("codigo_cobranca", 31, 37, A),
    f("uso_empresa", 38, 62, A),
    f("zeros_2", 63, 70, A),
    f("nosso_numero", 71, 81, A),
    f("nosso_numero_dv", 82, 82, A),
    f("brancos_1", 83, 92, A),
    f("zeros_3", 93, 104, A),
    f("rateio", 105, 105, A),
    f("zeros_4", 106, 107, A),
    f("carteira", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("nosso_numero_banco", 127, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("banco_cobrador", 166, 168, A),
    f("agencia_cobradora", 169, 173, A),
    f("especie", 174, 175, A),
    f("tarifa", 176, 188, M),
    f("outras_despesas", 189, 201, M),
    f("juros_atraso", 202, 214, M),
    f("iof", 215, 227, M),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("outros_creditos", 280, 292, M),
    f("brancos_2", 293, 294, A),
    f("motivo_ocorrencia_codigo", 295, 295, A),
    f("data_credito", 296, 301, D6),
    f("brancos_3", 302, 318, A),
    f("motivo_ocorrencia", 319, 328, A),
    f("brancos_4", 329, 394, A),
    f("sequencial", 395, 400, N),
];

// Sicredi, "Manual CNAB 400" (Aug/2019, manuais/SICREDI/novos/…400…pdf),
// chapter 10 (return). Its dates outside the detail are AAAAMMDD.
const SICREDI_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("literal_arquivo", 3, 9, A, "RETORNO"),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 26, A),
    f("codigo_beneficiario", 27, 31, N),
    f("inscricao", 32, 45, N),
    f("brancos_1", 46, 76, A),
    c("banco", 77, 79, N, "748"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 102, DY),
    f("brancos_2", 103, 110, A),
    f("nsa", 111, 117, N),
    f("brancos_3", 118, 389, A),
    f("versao", 390, 394, A),
    f("sequencial", 395, 400, N),
];

const SICREDI_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("brancos_1", 2, 13, A),
    f("tipo_cobranca", 14, 14, A),
    f("codigo_pagador_cooperativa", 15, 19, A),
    f("codigo_pagador", 20, 24, A),
    f("dda", 25, 25, A),
    f("brancos_2", 26, 47, A),
    f("nosso_numero", 48, 62, A),
    f("brancos_3", 63, 108, A),
    f("ocorrencia", 109, 110, N),
    f("data_ocorrencia", 111, 116, D6),
    f("seu_numero", 117, 126, A),
    f("brancos_4", 127, 146, A),
    f("vencimento", 147, 152, D6),
    f("valor", 153, 165, M),
    f("brancos_5", 166, 174, A),
    f("especie", 175, 175, A),
    f("tarifa", 176, 188, M),
    f("outras_despesas", 189, 201, M),
    f("zeros_1", 202, 227, A),
    f("abatimento", 228, 240, M),
    f("desconto", 241, 253, M),
    f("valor_pago", 254, 266, M),
    f("juros_multa", 267, 279, M),
    f("multa", 280, 292, M),
    f("brancos_6", 293, 294, A),
    f("aceite", 295, 295, A),
    f("brancos_7", 296, 318, A),
    f("motivo_ocorrencia", 319, 328, A),
    f("data_credito", 329, 336, DY),
    f("brancos_8", 337, 394, A),
    f("sequencial", 395, 400, N),
];

const SICREDI_TR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    c("arquivo_codigo", 2, 2, N, "2"),
    c("banco", 3, 5, N, "748"),
    f("codigo_beneficiario", 6, 10, A),
    f("brancos_1", 11, 394, A),
    f("sequencial", 395, 400, N),
];

// Itaú remittance, "Cobrança 400 bytes CNAB" (Jul/2021,
// manuais/ITAU/COBRANCA-.400.BYTES.CNAB.-.JUL2021_v3.pdf): header,
// mandatory detail (type 1), trailer; the optional records (2 fine, 4
// Pix, 5 e-mail/sacador) are not modelled.
const ITAU_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("agencia", 27, 30, N),
    f("zeros_1", 31, 32, N),
    f("conta", 33, 37, N),
    f("conta_dv", 38, 38, N),
    f("brancos_1", 39, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "341"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("brancos_2", 101, 394, A),
    f("sequencial", 395, 400, N),
];

const ITAU_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("agencia", 18, 21, N),
    f("zeros_1", 22, 23, N),
    f("conta", 24, 28, N),
    f("conta_dv", 29, 29, N),
    f("brancos_1", 30, 33, A),
    f("instrucao_cancelada", 34, 37, N),
    f("uso_empresa", 38, 62, A),
    f("nosso_numero", 63, 70, N),
    // 9(08)v9(5): quantity of a variable currency, not centavos
    f("quantidade_moeda", 71, 83, N),
    f("carteira", 84, 86, N),
    f("uso_banco", 87, 107, A),
    f("carteira_codigo", 108, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    c("banco_cobrador", 140, 142, N, "341"),
    f("agencia_cobradora", 143, 147, N),
    f("especie", 148, 149, A),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, A),
    f("instrucao_2", 159, 160, A),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("iof", 193, 205, M),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 264, A),
    f("brancos_2", 265, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("sacado_bairro", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("sacado_cidade", 335, 349, A),
    f("sacado_uf", 350, 351, A),
    f("avalista_nome", 352, 381, A),
    f("brancos_3", 382, 385, A),
    f("juros_data", 386, 391, D6),
    f("protesto_prazo", 392, 393, A),
    f("brancos_4", 394, 394, A),
    f("sequencial", 395, 400, N),
];

// ------------------------------------- CNAB 400 remittances, other banks

// Banco do Brasil, "CBR641 – Arquivo-Remessa" (Cobrança Integrada BB,
// Orientações Técnicas, manuais/BB/remessa.pdf): header, detail type 7
// (convênio of 7 digits), optional type 5, trailer.
const BB_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    // "REMESSA", or "TESTE" for a test file (note 01)
    f("literal_arquivo", 3, 9, A),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 19, A),
    f("brancos_1", 20, 26, A),
    f("agencia", 27, 30, N),
    f("agencia_dv", 31, 31, A),
    f("conta", 32, 39, N),
    f("conta_dv", 40, 40, A),
    f("zeros_1", 41, 46, N),
    f("empresa_nome", 47, 76, A),
    // the manual's one field "001BANCODOBRASIL" (77–94)
    c("banco", 77, 79, N, "001"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("nsa", 101, 107, N),
    f("brancos_2", 108, 129, A),
    f("convenio", 130, 136, N),
    f("brancos_3", 137, 394, A),
    f("sequencial", 395, 400, N),
];

const BB_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "7"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("agencia", 18, 21, N),
    f("agencia_dv", 22, 22, A),
    f("conta", 23, 30, N),
    f("conta_dv", 31, 31, A),
    f("convenio", 32, 38, N),
    f("uso_empresa", 39, 63, A),
    f("nosso_numero", 64, 80, N),
    f("prestacao", 81, 82, N),
    f("grupo_valor", 83, 84, N),
    f("brancos_1", 85, 87, A),
    f("indicativo_mensagem", 88, 88, A),
    f("prefixo_titulo", 89, 91, A),
    f("variacao_carteira", 92, 94, N),
    f("conta_caucao", 95, 95, N),
    f("bordero", 96, 101, N),
    f("tipo_cobranca", 102, 106, A),
    f("carteira", 107, 108, N),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    // 888888 (à vista) and 999999 (na apresentação) are not dates: not modelled
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    c("banco_cobrador", 140, 142, N, "001"),
    f("agencia_cobradora", 143, 146, N),
    f("agencia_cobradora_dv", 147, 147, A),
    f("especie", 148, 149, N),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, N),
    f("instrucao_2", 159, 160, N),
    f("juros_valor", 161, 173, M),
    // a date when registering (command 01); other commands reuse 174–192
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("iof", 193, 205, M),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 271, A),
    f("brancos_2", 272, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("sacado_bairro", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("sacado_cidade", 335, 349, A),
    f("sacado_uf", 350, 351, A),
    f("observacoes", 352, 391, A),
    f("protesto_prazo", 392, 393, A),
    f("brancos_3", 394, 394, A),
    f("sequencial", 395, 400, N),
];

// BB's optional type 5 as its fine variant (service "99"). The same record
// type carries the payer's e-mail (service "01") and a 15-character title
// number ("03"), so the fields past the service code are text.
const BB_MULTA_M400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "5"),
    f("tipo_servico", 2, 3, A),
    f("multa_codigo", 4, 4, A),
    f("multa_data", 5, 10, A),
    f("multa_valor", 11, 22, A),
    f("brancos_1", 23, 394, A),
    f("sequencial", 395, 400, N),
];

// Caixa (SIGCB) remittance, 67.126 v015, 3.6.1, 3.6.2 and 3.6.6; the
// optional records 2 (messages), 3 and 4 are not modelled.
const CAIXA_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    // "REMESSA", or "REM.TST" for a test file (NE001)
    f("literal_arquivo", 3, 9, A),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("agencia", 27, 30, N),
    f("codigo_beneficiario", 31, 37, N),
    f("uso_caixa_1", 38, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "104"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    // blank or "007" (NE065)
    f("versao_layout", 101, 103, A),
    f("uso_caixa_2", 104, 389, A),
    f("nsa", 390, 394, N),
    f("sequencial", 395, 400, N),
];

const CAIXA_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, N),
    f("inscricao", 4, 17, N),
    f("uso_caixa_1", 18, 20, N),
    f("codigo_beneficiario", 21, 27, N),
    f("emissao_boleto", 28, 28, N),
    f("distribuicao", 29, 29, N),
    f("comissao_permanencia", 30, 31, N),
    f("uso_empresa", 32, 56, A),
    f("modalidade", 57, 58, N),
    f("nosso_numero", 59, 73, N),
    f("brancos_1", 74, 75, A),
    f("uso_livre", 76, 76, A),
    f("brancos_2", 77, 77, A),
    f("juros_data", 78, 83, D6),
    f("desconto_codigo", 84, 84, A),
    f("brancos_3", 85, 106, A),
    f("carteira", 107, 108, N),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    c("banco_cobrador", 140, 142, N, "104"),
    f("agencia_cobradora", 143, 147, N),
    f("especie", 148, 149, N),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, N),
    f("instrucao_2", 159, 160, N),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("iof", 193, 205, M),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("sacado_bairro", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("sacado_cidade", 335, 349, A),
    f("sacado_uf", 350, 351, A),
    f("multa_data", 352, 357, D6),
    f("multa_valor", 358, 367, M),
    f("avalista_nome", 368, 389, A),
    f("instrucao_3", 390, 391, N),
    f("protesto_prazo", 392, 393, N),
    f("moeda", 394, 394, N),
    f("sequencial", 395, 400, N),
];

// Sicoob (Bancoob), "Manual Layout Sicoob", leiaute do arquivo de remessa
// (the same manual as the return above); the optional message record 2 is
// not modelled. Sicoob's later layout (BB-style detail, used by brcobranca
// and laravel-boleto) is a different table and is not this one.
const SICOOB_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("cooperativa", 27, 39, N),
    f("codigo_cobranca", 40, 46, N),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "756"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("brancos_1", 101, 108, A),
    f("sistema", 109, 110, A),
    f("nsa", 111, 117, N),
    f("brancos_2", 118, 394, A),
    f("sequencial", 395, 400, N),
];

const SICOOB_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("zeros_1", 2, 20, N),
    f("cooperativa", 21, 30, N),
    f("codigo_cobranca", 31, 37, N),
    f("uso_empresa", 38, 62, A),
    f("zeros_2", 63, 70, N),
    f("nosso_numero", 71, 81, N),
    f("nosso_numero_dv", 82, 82, A),
    f("desconto_dia", 83, 92, M),
    f("emissao_boleto", 93, 93, A),
    f("debito_automatico", 94, 94, A),
    f("brancos_1", 95, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    f("zeros_3", 140, 147, N),
    f("especie", 148, 149, N),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, N),
    f("instrucao_2", 159, 160, N),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("zeros_4", 193, 205, N),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("mensagem_1", 315, 326, A),
    f("sacado_cep", 327, 334, N),
    f("brancos_2", 335, 335, A),
    f("avalista_inscricao", 336, 349, N),
    f("avalista_inscricao_tipo", 350, 351, N),
    f("avalista_nome", 352, 394, A),
    f("sequencial", 395, 400, N),
];

// Sicredi, "Manual CNAB 400" (Aug/2019), 9.1, 9.2 (registered collection)
// and 9.9. Header and instruction dates are AAAAMMDD.
const SICREDI_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("codigo_beneficiario", 27, 31, N),
    f("inscricao", 32, 45, N),
    f("brancos_1", 46, 76, A),
    c("banco", 77, 79, N, "748"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 102, DY),
    f("brancos_2", 103, 110, A),
    f("nsa", 111, 117, N),
    f("brancos_3", 118, 390, A),
    // "2.00"
    f("versao", 391, 394, A),
    f("sequencial", 395, 400, N),
];

const SICREDI_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("tipo_cobranca", 2, 2, A),
    f("tipo_carteira", 3, 3, A),
    f("tipo_impressao", 4, 4, A),
    f("brancos_1", 5, 16, A),
    f("tipo_moeda", 17, 17, A),
    f("desconto_tipo", 18, 18, A),
    f("juros_tipo", 19, 19, A),
    f("brancos_2", 20, 47, A),
    // blank when Sicredi assigns it
    f("nosso_numero", 48, 56, A),
    f("brancos_3", 57, 62, A),
    f("data_instrucao", 63, 70, DY),
    f("campo_alterado", 71, 71, A),
    f("postagem", 72, 72, A),
    f("brancos_4", 73, 73, A),
    f("emissao_boleto", 74, 74, A),
    f("parcela", 75, 76, A),
    f("parcelas", 77, 78, A),
    f("brancos_5", 79, 82, A),
    f("desconto_dia", 83, 92, M),
    f("multa_percentual", 93, 96, N),
    f("brancos_6", 97, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    f("brancos_7", 140, 148, A),
    f("especie", 149, 149, A),
    f("aceite", 150, 150, A),
    f("emissao", 151, 156, D6),
    f("instrucao_1", 157, 158, N),
    f("protesto_prazo", 159, 160, N),
    f("juros_valor", 161, 173, M),
    f("desconto_data", 174, 179, D6),
    f("desconto_valor", 180, 192, M),
    f("negativacao", 193, 194, N),
    f("negativacao_prazo", 195, 196, N),
    f("zeros_1", 197, 205, N),
    f("abatimento", 206, 218, M),
    f("sacado_inscricao_tipo", 219, 219, N),
    f("zeros_2", 220, 220, N),
    f("sacado_inscricao", 221, 234, N),
    f("sacado_nome", 235, 274, A),
    f("sacado_endereco", 275, 314, A),
    f("codigo_pagador_cooperativa", 315, 319, A),
    f("zeros_3", 320, 325, N),
    f("brancos_8", 326, 326, A),
    f("sacado_cep", 327, 334, N),
    f("codigo_pagador", 335, 339, N),
    f("avalista_inscricao", 340, 353, A),
    f("avalista_nome", 354, 394, A),
    f("sequencial", 395, 400, N),
];

const SICREDI_TM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("banco", 3, 5, N, "748"),
    f("codigo_beneficiario", 6, 10, N),
    f("brancos_1", 11, 394, A),
    f("sequencial", 395, 400, N),
];

// Banco Inter, "Conta Digital PJ Inter – Manual CNAB400" v1.1 (30/08/2021,
// manuais/INTER/manual-remessa-inter.pdf), 4.1, 4.2, 4.4 (remittance) and
// 5.1–5.3 (return); the optional remittance record 2 is not modelled.
const INTER_HM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "1"),
    c("literal_arquivo", 3, 9, A, "REMESSA"),
    c("servico", 10, 11, N, "01"),
    f("literal_servico", 12, 26, A),
    f("brancos_1", 27, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "077"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("brancos_2", 101, 110, A),
    f("nsa", 111, 117, N),
    f("brancos_3", 118, 394, A),
    f("sequencial", 395, 400, N),
];

const INTER_DM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("brancos_1", 2, 20, A),
    // carteira (112), agency (0001), account (10 digits)
    f("identificacao_empresa", 21, 37, N),
    f("uso_empresa", 38, 62, A),
    f("brancos_2", 63, 65, A),
    f("multa_codigo", 66, 66, N),
    f("multa_valor", 67, 79, M),
    f("multa_percentual", 80, 83, N),
    f("multa_data", 84, 89, D6),
    // zeros: Inter assigns it
    f("nosso_numero", 90, 100, N),
    f("brancos_3", 101, 108, A),
    f("ocorrencia", 109, 110, N),
    f("seu_numero", 111, 120, A),
    f("vencimento", 121, 126, D6),
    f("valor", 127, 139, M),
    f("dias_limite", 140, 141, N),
    f("brancos_4", 142, 147, A),
    f("especie", 148, 149, N),
    f("aceite", 150, 150, A),
    // the manual says blank: the return carries the registration date
    f("emissao", 151, 156, A),
    f("brancos_5", 157, 159, A),
    f("juros_codigo", 160, 160, N),
    f("juros_valor", 161, 173, M),
    f("juros_percentual", 174, 177, N),
    f("juros_data", 178, 183, D6),
    f("desconto_codigo", 184, 184, N),
    f("desconto_valor", 185, 197, M),
    f("desconto_percentual", 198, 201, N),
    f("desconto_data", 202, 207, D6),
    f("abatimento", 208, 220, M),
    f("sacado_inscricao_tipo", 221, 222, N),
    f("sacado_inscricao", 223, 236, N),
    f("sacado_nome", 237, 276, A),
    f("sacado_endereco", 277, 316, A),
    // the manual's CEP (317–321) and suffix (322–324)
    f("sacado_cep", 317, 324, N),
    f("mensagem_1", 325, 394, A),
    f("sequencial", 395, 400, N),
];

const INTER_TM400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    f("quantidade_titulos", 2, 7, N),
    f("brancos_1", 8, 394, A),
    f("sequencial", 395, 400, N),
];

const INTER_HR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "0"),
    c("arquivo_codigo", 2, 2, N, "2"),
    // the manual prints "Retorno"
    f("literal_arquivo", 3, 9, A),
    f("servico", 10, 11, N),
    f("literal_servico", 12, 26, A),
    f("brancos_1", 27, 46, A),
    f("empresa_nome", 47, 76, A),
    c("banco", 77, 79, N, "077"),
    f("banco_nome", 80, 94, A),
    f("data_geracao", 95, 100, D6),
    f("brancos_2", 101, 394, A),
    f("sequencial", 395, 400, N),
];

// Inter's return detail is not Bradesco-shaped: the occurrence is at 90–91.
const INTER_DR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "1"),
    f("inscricao_tipo", 2, 3, A),
    f("inscricao", 4, 17, A),
    f("zeros_1", 18, 20, A),
    f("identificacao_empresa", 21, 37, A),
    f("uso_empresa", 38, 62, A),
    f("zeros_2", 63, 70, A),
    f("nosso_numero", 71, 81, A),
    f("brancos_1", 82, 86, A),
    f("carteira", 87, 89, A),
    f("ocorrencia", 90, 91, N),
    f("data_ocorrencia", 92, 97, D6),
    f("seu_numero", 98, 107, A),
    f("nosso_numero_2", 108, 118, A),
    f("vencimento", 119, 124, D6),
    f("valor", 125, 137, M),
    f("banco_cobrador", 138, 140, A),
    f("agencia_cobradora", 141, 144, A),
    f("especie", 145, 146, A),
    f("brancos_2", 147, 159, A),
    f("valor_pago", 160, 172, M),
    f("data_credito", 173, 178, D6),
    f("brancos_3", 179, 181, A),
    f("sacado_nome", 182, 221, A),
    f("brancos_4", 222, 226, A),
    f("sacado_inscricao", 227, 240, A),
    f("motivo_ocorrencia", 241, 380, A),
    f("brancos_5", 381, 394, A),
    f("sequencial", 395, 400, N),
];

const INTER_TR400: &[Field] = &[
    c("tipo_registro", 1, 1, N, "9"),
    c("arquivo_codigo", 2, 2, N, "2"),
    f("servico", 3, 4, A),
    c("banco", 5, 7, N, "077"),
    f("brancos_1", 8, 17, A),
    f("quantidade_registros", 18, 25, N),
    f("brancos_2", 26, 57, A),
    f("quantidade_entradas", 58, 62, N),
    f("valor_entradas", 63, 74, M),
    f("brancos_3", 75, 86, A),
    f("quantidade_rejeitados", 87, 91, N),
    f("brancos_4", 92, 115, A),
    f("quantidade_pagos", 116, 120, N),
    f("valor_pagos", 121, 132, M),
    f("brancos_5", 133, 394, A),
    f("sequencial", 395, 400, N),
];

/// Replaces the base fields that overlap an override field; keeps order.
fn merge(base: &[Field], overrides: &[Field]) -> Vec<Field> {
    let mut out: Vec<Field> = base
        .iter()
        .filter(|b| {
            !overrides
                .iter()
                .any(|o| o.start <= b.end && b.start <= o.end)
        })
        .copied()
        .collect();
    out.extend_from_slice(overrides);
    out.sort_by_key(|x| x.start);
    out
}

fn seg(
    code: &'static str,
    name: &'static str,
    head: [Field; 7],
    tail: &[Field],
    overrides: &[Field],
) -> RecordLayout {
    let mut fields = head.to_vec();
    fields.extend_from_slice(tail);
    RecordLayout {
        code,
        name,
        fields: merge(&fields, overrides),
    }
}

fn rec(
    code: &'static str,
    name: &'static str,
    base: &[Field],
    overrides: &[Field],
) -> RecordLayout {
    RecordLayout {
        code,
        name,
        fields: merge(base, overrides),
    }
}

fn cnab240(bank: Option<Bank>, direction: Direction) -> Layout {
    let none: &[Field] = &[];
    let (h, hl, p, t) = match bank {
        Some(Bank::Santander) => (
            SANTANDER_H240,
            SANTANDER_HL240,
            SANTANDER_P240,
            SANTANDER_T240,
        ),
        Some(Bank::Caixa) => (none, none, CAIXA_P240, none),
        Some(Bank::BancoDoBrasil) if direction == Direction::Retorno => {
            (none, BB_HL240_RETORNO, none, none)
        }
        _ => (none, none, none, none),
    };
    let mut records = vec![
        rec("0", "header_arquivo", H240, h),
        rec("1", "header_lote", HL240, hl),
    ];
    match direction {
        Direction::Remessa => {
            records.push(seg("3P", "segmento_p", seg_head!("P"), P240_TAIL, p));
            records.push(seg("3Q", "segmento_q", seg_head!("Q"), Q240_TAIL, none));
            records.push(seg("3R", "segmento_r", seg_head!("R"), R240_TAIL, none));
        }
        Direction::Retorno => {
            records.push(seg("3T", "segmento_t", seg_head!("T"), T240_TAIL, t));
            records.push(seg("3U", "segmento_u", seg_head!("U"), U240_TAIL, none));
        }
    }
    records.push(rec("5", "trailer_lote", TL240, none));
    records.push(rec("9", "trailer_arquivo", TA240, none));
    Layout {
        format: Format::Cnab240,
        direction,
        bank,
        records,
    }
}

fn cnab400(bank: Bank, direction: Direction) -> Option<Layout> {
    use Direction::{Remessa, Retorno};
    let none: &[Field] = &[];
    // (header, detail record code, detail, trailer)
    let (h, dcode, d, t) = match (bank, direction) {
        (Bank::Bradesco, Retorno) => (BRADESCO_HR400, "1", BRADESCO_DR400, TR400),
        (Bank::Bradesco, Remessa) => (BRADESCO_HM400, "1", BRADESCO_DM400, TM400),
        (Bank::Itau, Retorno) => (ITAU_HR400, "1", ITAU_DR400, TR400),
        (Bank::Itau, Remessa) => (ITAU_HM400, "1", ITAU_DM400, TM400),
        (Bank::BancoDoBrasil, Retorno) => (BB_HR400, "7", BB_DR400, TR400),
        (Bank::BancoDoBrasil, Remessa) => (BB_HM400, "7", BB_DM400, TM400),
        (Bank::Santander, Retorno) => (SANTANDER_HR400, "1", SANTANDER_DR400, TR400),
        (Bank::Santander, Remessa) => (SANTANDER_HM400, "1", SANTANDER_DM400, SANTANDER_TM400),
        (Bank::Caixa, Retorno) => (CAIXA_HR400, "1", CAIXA_DR400, TR400),
        (Bank::Caixa, Remessa) => (CAIXA_HM400, "1", CAIXA_DM400, TM400),
        (Bank::Sicoob, Retorno) => (SICOOB_HR400, "1", SICOOB_DR400, TM400),
        (Bank::Sicoob, Remessa) => (SICOOB_HM400, "1", SICOOB_DM400, TM400),
        (Bank::Sicredi, Retorno) => (SICREDI_HR400, "1", SICREDI_DR400, SICREDI_TR400),
        (Bank::Sicredi, Remessa) => (SICREDI_HM400, "1", SICREDI_DM400, SICREDI_TM400),
        (Bank::Inter, Retorno) => (INTER_HR400, "1", INTER_DR400, INTER_TR400),
        (Bank::Inter, Remessa) => (INTER_HM400, "1", INTER_DM400, INTER_TM400),
    };
    let mut records = vec![rec("0", "header", h, none), rec(dcode, "detalhe", d, none)];
    if (bank, direction) == (Bank::BancoDoBrasil, Remessa) {
        records.push(rec("5", "detalhe_multa", BB_MULTA_M400, none));
    }
    records.push(rec("9", "trailer", t, none));
    Some(Layout {
        format: Format::Cnab400,
        direction,
        bank: Some(bank),
        records,
    })
}

/// Every layout this crate knows, built once.
pub(crate) fn all() -> &'static [Layout] {
    static ALL: OnceLock<Vec<Layout>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = Vec::new();
        for dir in [Direction::Remessa, Direction::Retorno] {
            v.push(cnab240(None, dir));
            for b in Bank::ALL {
                v.push(cnab240(Some(b), dir));
                if let Some(l) = cnab400(b, dir) {
                    v.push(l);
                }
            }
        }
        v
    })
}
