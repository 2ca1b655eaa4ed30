//! The layouts as data: one table of fields per record, FEBRABAN's CNAB 240
//! as the base and each bank's differences as a table of fields that replace
//! the base ones they overlap.
//!
//! Sources: FEBRABAN "Layout Padrão CNAB 240 posições" v10 (as reproduced in
//! Banco do Brasil's "CNAB 240 – Agosto 2017" and Caixa's "Leiaute de
//! Arquivo Eletrônico CNAB240"), Santander's "Layout Cobrança CNAB 240
//! posições" (H7815), Bradesco's "Cobrança – Layout do Arquivo Retorno/Remessa
//! 400 posições" and Itaú's "Cobrança 400 bytes CNAB" (Jul/2021). Positions
//! were checked against the sample files in `shared/samples/cnab`.

use super::{Direction, Field, FieldKind, Format, Layout, RecordLayout};
use crate::boleto::banks::Bank;
use std::sync::OnceLock;

use FieldKind::{Alpha as A, Date6 as D6, Date8 as D8, Money as M, Num as N};

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
    let none: &[Field] = &[];
    let (h, d, t) = match (bank, direction) {
        (Bank::Bradesco, Direction::Retorno) => (BRADESCO_HR400, BRADESCO_DR400, TR400),
        (Bank::Itau, Direction::Retorno) => (ITAU_HR400, ITAU_DR400, TR400),
        (Bank::Bradesco, Direction::Remessa) => (BRADESCO_HM400, BRADESCO_DM400, TM400),
        _ => return None,
    };
    Some(Layout {
        format: Format::Cnab400,
        direction,
        bank: Some(bank),
        records: vec![
            rec("0", "header", h, none),
            rec("1", "detalhe", d, none),
            rec("9", "trailer", t, none),
        ],
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
