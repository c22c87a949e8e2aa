import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Select } from "antd";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import type { RecordOut } from "./editorApi";
import { useEditorText } from "./text";
import "./registry.css";

type ScopeItem = Schemas["ScopeItemPublic"];

function useCmaCertificates() {
  const api = useApi();
  return useQuery({
    queryKey: ["registry", "cma-certificates"],
    queryFn: async () => (await api.http.GET("/api/v1/cma-certificates")).data!,
  });
}

function useLinkScope(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: string[]) =>
      (
        await api.http.PUT("/api/v1/instruments/{instrument_id}/scope-items", {
          params: { path: { instrument_id: instrumentId } },
          body: { scope_item_ids: ids },
        })
      ).data!,
    onSuccess: (scope) =>
      queryClient.setQueryData<RecordOut>(["registry", instrumentId, "record"], (old) =>
        old ? { ...old, scope } : old,
      ),
  });
}

/** Which items of the institution's CMA scope the instrument serves (tests, standards). */
export function ScopeLinksEditor({ instrumentId, linked }: { instrumentId: string; linked: ScopeItem[] }) {
  const t = useEditorText();
  const { pickName } = useI18n();
  const { message } = App.useApp();
  const certificates = useCmaCertificates();
  const save = useLinkScope(instrumentId);
  const [form] = Form.useForm<{ ids: string[] }>();

  const label = (item: ScopeItem) => `${pickName(item.name, item.name_en)} · ${item.standard_number}`;
  return (
    <Form<{ ids: string[] }>
      form={form}
      layout="vertical"
      className="card editor-form"
      data-testid="scope-links"
      initialValues={{ ids: linked.map((item) => item.id) }}
      onFinish={(values) =>
        save.mutate(values.ids, {
          onSuccess: (scope) => {
            form.setFieldsValue({ ids: scope.map((item) => item.id) });
            void message.success(t("editor.saved"));
          },
        })
      }
    >
      <h2>{t("scope.title")}</h2>
      <p className="muted">{t("scope.hint")}</p>
      {!!save.error && <ErrorNotice error={save.error} />}
      {certificates.isPending && <Loading />}
      {certificates.isError && <ErrorNotice error={certificates.error} />}
      {certificates.data?.length === 0 && <p className="muted">{t("scope.noCertificate")}</p>}
      {!!certificates.data?.length && (
        <>
          <Form.Item name="ids" label={t("scope.items")}>
            <Select
              mode="multiple"
              allowClear
              optionFilterProp="label"
              placeholder={t("scope.placeholder")}
              options={certificates.data.map((certificate) => ({
                label: t("scope.certificate", { number: certificate.number }),
                title: certificate.number,
                options: certificate.scope.map((item) => ({ value: item.id, label: label(item) })),
              }))}
            />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t("scope.save")}
          </Button>
        </>
      )}
    </Form>
  );
}
