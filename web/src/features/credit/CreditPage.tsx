import { App, Button, Result, Table, Tabs, Typography } from "antd";
import { useSearchParams } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { isInstitutionRole, useCurrentUser } from "../auth";
import { type InstitutionClass, useInstitutions, useRecompute } from "./api";
import { ClassTag, InstitutionRecord } from "./InstitutionRecord";
import { RulesEditor } from "./RulesEditor";
import { useText } from "./text";

/**
 * Credit records (诚信档案). The platform, in the regulator's seat, sees every institution
 * with its class, opens one's record, records findings, requires corrective actions and edits
 * the class rules; an institution's staff read their own record (its lab manager closes
 * corrective actions) and the rules in force.
 */
export function CreditPage() {
  const tx = useText();
  const { pickName } = useI18n();
  const me = useCurrentUser();
  const [params, setParams] = useSearchParams();
  if (me.isPending) return <Loading />;
  const role = me.data?.role;
  const regulator = role === "platform_admin";
  if (!regulator && !isInstitutionRole(role)) return <Result status="403" title={tx("credit.forbidden")} />;
  const tab = params.get("tab") === "rules" ? "rules" : "records";
  return (
    <section className="page">
      <Typography.Title level={1} className="page-title">
        {tx("credit.title")}
      </Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === "rules" ? { tab: "rules" } : {})}
        items={[
          {
            key: "records",
            label: tx("credit.tab.records"),
            children: regulator ? (
              <Regulator />
            ) : (
              <InstitutionRecord
                organisationId={me.data?.organisation.id ?? ""}
                displayName={me.data && pickName(me.data.organisation.name, me.data.organisation.name_en)}
                regulator={false}
                mayClose={role === "lab_manager"}
              />
            ),
          },
          { key: "rules", label: tx("credit.tab.rules"), children: <RulesEditor editable={regulator} /> },
        ]}
      />
    </section>
  );
}

function Regulator() {
  const tx = useText();
  const { pickName } = useI18n();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const list = useInstitutions();
  const recompute = useRecompute();
  const chosen = params.get("institution");
  if (chosen) {
    const listed = list.data?.find((i) => i.organisation_id === chosen);
    return (
      <>
        <Button onClick={() => setParams({})} data-testid="credit-back">
          {tx("credit.back")}
        </Button>
        <InstitutionRecord
          organisationId={chosen}
          displayName={listed && pickName(listed.name, listed.name_en)}
          regulator
          mayClose
        />
      </>
    );
  }
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />;
  return (
    <>
      <Button
        loading={recompute.isPending}
        onClick={() =>
          recompute.mutate(undefined, {
            onSuccess: (done) => void message.success(tx("credit.recomputed", { count: done.length })),
          })
        }
      >
        {tx("credit.recompute")}
      </Button>
      {recompute.isError && <ErrorNotice error={recompute.error} />}
      <Table<InstitutionClass>
        data-testid="credit-institutions"
        rowKey="organisation_id"
        size="middle"
        scroll={{ x: true }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: tx("credit.none") }}
        dataSource={list.data}
        columns={[
          {
            title: tx("credit.institution"),
            key: "name",
            render: (_, i) => (
              <Button
                type="link"
                className="link-button"
                data-testid="credit-open"
                onClick={() => setParams({ institution: i.organisation_id })}
              >
                {pickName(i.name, i.name_en)}
              </Button>
            ),
          },
          { title: tx("credit.city"), dataIndex: "city", render: (c: string | null) => c ?? "—" },
          {
            title: tx("credit.class"),
            dataIndex: "credit_class",
            render: (c: string) => <ClassTag value={c} />,
          },
        ]}
      />
    </>
  );
}
