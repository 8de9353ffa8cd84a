import { Alert, Card, Group, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { BUSINESS_LIMITS, type BusinessDetails, BusinessDetailsBody } from '../../../shared/contracts/business.ts';
import { timeZones } from '../../../shared/contracts/setup.ts';
import { ApiError } from '../../app/api.ts';
import { formatDateTime } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { fieldErrors } from '../../app/validate.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { ErrorState, TableLoader } from '../../components/states.tsx';
import { useBusinessDetails, useSaveBusinessDetails } from './settings.queries.ts';

const TIME_ZONES = timeZones();
const TEMPLATE_LABEL = { studio: 'Tattoo / beauty studio', stores: 'Lab / department stores' } as const;

type Editable = Omit<BusinessDetails, 'currency' | 'template'>;
const EMPTY: Editable = { name: '', timezone: 'UTC', address: '', phone: '', email: '', taxId: '' };

function editable(d: BusinessDetails): Editable {
  return { name: d.name, timezone: d.timezone, address: d.address, phone: d.phone, email: d.email, taxId: d.taxId };
}

/** Settings → Business: the name and time zone every screen shows, and the contact details documents carry. */
export function BusinessPage() {
  const me = useOutletContext<Me>();
  const canEdit = hasPermission(me, 'settings.edit');
  const details = useBusinessDetails();
  const save = useSaveBusinessDetails();
  const form = useForm<Editable>({ mode: 'controlled', initialValues: EMPTY });
  // What is typed to find a time zone; null shows the chosen zone (Mantine's own search kept the
  // typed words in the field when the zone picked was the one already chosen).
  const [zoneSearch, setZoneSearch] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form object is stable; only new data resets it
  useEffect(() => {
    if (details.data) {
      form.setValues(editable(details.data));
      form.resetDirty(editable(details.data));
    }
  }, [details.data]);

  const submit = (v: Editable) => {
    // The shared schema the server applies: the field says what is wrong and nothing is sent.
    const problems = fieldErrors(BusinessDetailsBody, v);
    if (problems) {
      form.setErrors(problems);
      return;
    }
    save.mutate(BusinessDetailsBody.parse(v), {
      onSuccess: () => notifications.show({ color: 'teal', message: 'Business details saved.' }),
      onError: (err) => {
        if (err instanceof ApiError) form.setErrors(err.fieldErrors());
      },
    });
  };

  if (details.isPending) return <TableLoader rows={4} />;
  if (details.isError) return <ErrorState error={details.error} onRetry={() => details.refetch()} />;
  const now = new Date().toISOString();
  return (
    <Stack>
      <Title order={2} size="h3">
        Business
      </Title>
      <Card withBorder>
        <form onSubmit={form.onSubmit(submit)} noValidate>
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label="Business name"
                required
                maxLength={BUSINESS_LIMITS.name}
                disabled={!canEdit}
                {...form.getInputProps('name')}
              />
              <Select
                label="Time zone"
                description={`Every time is shown in this zone. Now: ${formatDateTime(now, form.values.timezone || 'UTC')}`}
                data={TIME_ZONES}
                searchable
                allowDeselect={false}
                nothingFoundMessage="No time zone by that name"
                disabled={!canEdit}
                {...form.getInputProps('timezone')}
                searchValue={zoneSearch ?? form.values.timezone}
                onSearchChange={(v) => setZoneSearch(v === form.values.timezone ? null : v)}
                onOptionSubmit={() => setZoneSearch(null)}
                onChange={(v) => {
                  if (v) form.setFieldValue('timezone', v);
                  setZoneSearch(null);
                }}
                onBlur={() => setZoneSearch(null)}
              />
            </SimpleGrid>
            <Title order={3} size="h4">
              Contact details
            </Title>
            <Text size="sm" c="dimmed">
              Printed on the documents you send, such as purchase orders. All optional.
            </Text>
            <Textarea
              label="Address"
              autosize
              minRows={2}
              maxRows={5}
              maxLength={BUSINESS_LIMITS.address}
              disabled={!canEdit}
              {...form.getInputProps('address')}
            />
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <TextInput
                label="Phone"
                type="tel"
                maxLength={BUSINESS_LIMITS.phone}
                disabled={!canEdit}
                {...form.getInputProps('phone')}
              />
              <TextInput label="Email" type="email" disabled={!canEdit} {...form.getInputProps('email')} />
              <TextInput
                label="Tax number"
                description="VAT or tax registration number"
                maxLength={BUSINESS_LIMITS.taxId}
                disabled={!canEdit}
                {...form.getInputProps('taxId')}
              />
            </SimpleGrid>
            <Text size="sm">
              Currency <strong>{details.data.currency}</strong> and template{' '}
              <strong>{TEMPLATE_LABEL[details.data.template]}</strong> were chosen at setup and cannot change: money
              already recorded is in that currency.
            </Text>
            {save.error && Object.keys(form.errors).length === 0 && (
              <Alert color="red" role="alert">
                {save.error.message}
              </Alert>
            )}
            {canEdit ? (
              <Group justify="flex-end">
                <ExplainedButton
                  type="submit"
                  loading={save.isPending}
                  why={!form.isDirty() && 'No changes to save yet.'}
                >
                  Save details
                </ExplainedButton>
              </Group>
            ) : (
              <Text size="sm" c="dimmed">
                Only users who may edit settings can change these.
              </Text>
            )}
          </Stack>
        </form>
      </Card>
    </Stack>
  );
}
