import { Alert, App, Button, Input, Modal, Space, Typography } from "antd";
import { ErrorNotice } from "../../components/ErrorNotice";
import { type GatewayCreated, useDownloadAgentConfig } from "./api";
import { useGatewayText } from "./text";

/** The environment variable the downloaded configuration reads the secret from. */
export const PASSWORD_ENV = "LABSHARE_EDGE_MQTT_PASSWORD";

/**
 * A secret the server just issued, shown this once: copy it, download the gateway's
 * configuration file (which never holds the secret), then close. Nothing keeps it afterwards.
 */
export function SecretModal({
  issued,
  rotated,
  onClose,
}: {
  issued: GatewayCreated | null;
  rotated: boolean;
  onClose: () => void;
}) {
  const t = useGatewayText();
  const { message } = App.useApp();
  const download = useDownloadAgentConfig();
  const copy = async () => {
    if (!issued) return;
    try {
      await navigator.clipboard.writeText(issued.secret);
      void message.success(t("secret.copied"));
    } catch {
      void message.warning(t("secret.copyFailed"));
    }
  };
  return (
    <Modal
      open={issued !== null}
      title={`${rotated ? t("secret.title.rotated") : t("secret.title.created")}：${issued?.key ?? ""}`}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose} data-testid="secret-done">
          {t("secret.done")}
        </Button>
      }
    >
      {issued && (
        <Space orientation="vertical" size="middle" style={{ width: "100%" }} data-testid="secret-modal">
          <Alert type="warning" showIcon title={t("secret.once")} />
          <div>
            <Typography.Text strong>{t("secret.label")}</Typography.Text>
            <Space.Compact style={{ width: "100%", marginTop: 4 }}>
              <Input
                readOnly
                value={issued.secret}
                data-testid="gateway-secret"
                aria-label={t("secret.label")}
                style={{ fontFamily: "monospace" }}
                onFocus={(event) => event.currentTarget.select()}
              />
              <Button onClick={() => void copy()} data-testid="secret-copy">
                {t("secret.copy")}
              </Button>
            </Space.Compact>
          </div>
          <Typography.Paragraph style={{ margin: 0 }}>
            {t("secret.env", { env: PASSWORD_ENV })}
          </Typography.Paragraph>
          <Button
            onClick={() => download.mutate({ id: issued.id, key: issued.key })}
            loading={download.isPending}
            data-testid="secret-download"
          >
            {t("secret.download")}
          </Button>
          {download.error && <ErrorNotice error={download.error} />}
          <Alert
            type={issued.broker_updated ? "success" : "info"}
            title={
              (rotated && issued.broker_updated ? `${t("secret.rotated.old")} ` : "") +
              (issued.broker_updated ? t("secret.broker.updated") : t("secret.broker.manual"))
            }
            data-testid="secret-broker"
          />
        </Space>
      )}
    </Modal>
  );
}
