# Collections (dunning): policy, overdue customers, trust unlock, cancellation list.
perm-collections-view = See overdue customers, the collections policy and the cancellation list
perm-collections-manage = Edit the collections policy and run the daily collections pass
perm-collections-unlock = Lift a suspension for non-payment for a few days (trust unlock)
timeline-collections-reminder-sent = Payment reminder sent for invoice { $number }, due { $date }
timeline-collections-notice-sent = Suspension notice sent for invoice { $number }: { $owed } owed, suspension possible from { $date }
timeline-collections-unlocked = Contract { $number } unlocked on trust until { $date }
