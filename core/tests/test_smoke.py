def test_customer_can_read_own_account(customer_api, customer):
    response = customer_api.get("/accounts/api/account/")
    assert response.status_code == 200
    assert response.json()["data"]["customer_id"] == customer.customer_id
